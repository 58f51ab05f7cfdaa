/**
 * Issues 13 and 17 as an outsider uses them, for what an audit found short: a reader of stdout
 * that goes away (`pyrepl3 scenarios/ | head`), GitHub annotations beside an explicit or implied
 * pretty, and Python's refusal of a character range with a class at one end (`[\d-z]`).
 * Each test failed before its fix.
 */
import { equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

const FAILING = `name: wrong sum
steps:
  - exec: "1 + 1"
    expect: { value: 3 }
`;

function passing(n: number): string {
  return `name: fine ${n}\nsteps:\n  - exec: "${n} * 2"\n    expect: { value: ${n * 2} }\n`;
}

Deno.test("stdout closed by its reader: the run goes on, writes its report files, exits with the verdict", async () => {
  const dir = await tempScenarios({
    "a.yaml": passing(1),
    "b.yaml": FAILING,
    "c.yaml": passing(3),
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, dir, "-j", "1", "--reporter", `junit:${dir}/out/junit.xml`],
    env: { CI: "", GITHUB_ACTIONS: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The reader goes before anything is written (as `| head -0` would): every write meets EPIPE.
  await child.stdout.cancel();
  const { code, stderr } = await child.output();
  const errors = new TextDecoder().decode(stderr);
  equal(code, 1, errors); // the verdict (one scenario failed), not 2 for an internal error
  ok(!/BrokenPipe/.test(errors), errors);
  const junit = await Deno.readTextFile(`${dir}/out/junit.xml`);
  equal(junit.match(/<testcase /g)?.length, 3, junit);
  match(junit, /<failure message="[^"]*value differs/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("GITHUB_ACTIONS=true: annotations beside --reporter pretty and beside the pretty a junit:FILE implies", async () => {
  const dir = await tempScenarios({ "bad.yaml": FAILING });
  const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: "" };
  const annotation = /^::error file=[^,]*bad\.yaml,line=3,col=5,title=wrong sum%3A step 1/m;
  for (
    const args of [
      ["--reporter", "pretty"],
      ["--reporter", `junit:${dir}/junit.xml`],
    ]
  ) {
    const run = await runCli([`${dir}/bad.yaml`, ...args], { env });
    equal(run.code, 1, run.stderr);
    match(run.stdout, /✗ wrong sum/, args.join(" "));
    match(run.stdout, annotation, args.join(" "));
  }
  // Never inside a machine-readable report on stdout.
  const json = await runCli([`${dir}/bad.yaml`, "--reporter", "json"], { env });
  equal(json.code, 1, json.stderr);
  equal(JSON.parse(json.stdout).failed, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("matches: a character range with a class at one end is refused as Python's re refuses it", async () => {
  for (const [pattern, range] of [["[\\\\d-z]", "\\d-z"], ["[a-\\\\w]", "a-\\w"]]) {
    const dir = await tempScenarios({
      "r.yaml":
        `steps:\n  - exec: print("5")\n    expect:\n      stdout: { matches: "${pattern}" }\n`,
    });
    const run = await runCli([dir]);
    equal(run.code, 2, run.stdout + run.stderr);
    ok(run.stderr.includes(`r.yaml:4:`), run.stderr);
    ok(run.stderr.includes(`bad character range ${range}`), run.stderr);
    await Deno.remove(dir, { recursive: true });
  }
  // A `-` first, last, after a range or after a leading `]` stays a literal, as in Python.
  const dir = await tempScenarios({
    "ok.yaml": `steps:
  - exec: print("-")
    expect:
      stdout: { matches: "^[-\\\\d][\\\\d-]?[a-c-e]?[^-\\\\d]$" }
  - exec: print("-5")
    expect:
      stdout: { matches: "^[-\\\\d][\\\\d-]$" }
`,
  });
  const run = await runCli([dir]);
  equal(run.code, 0, run.stdout + run.stderr);
  await Deno.remove(dir, { recursive: true });
});
