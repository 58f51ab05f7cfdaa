import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "yaml";
import { XMLParser } from "fast-xml-parser";
import { main } from "../cli.ts";
import { type CliIO, processIO } from "../lib/cli/io.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

const PASS = `name: adds numbers
tags: [math, smoke]
steps:
  - exec: 1 + 1
    expect: { value: 2 }
`;
const FAIL = `name: prints wrongly
tags: [io]
steps:
  - exec: x = 1
  - exec: print("one")
    expect:
      stdout: "two\\n"
`;
const INVALID = `name: broken
steps:
  - exce: print(1)
`;

Deno.test("a passing scenario exits 0 with a verdict line and no colour off a terminal", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS });
  const run = await runCli([dir]);
  equal(run.code, 0, run.stderr);
  match(run.stdout, /^✓ adds numbers \(.*pass\.yaml\) [\d.]+m?s\n/);
  match(run.stdout, /1 scenario: 1 passed, 0 failed/);
  ok(!run.stdout.includes("\x1b["));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a failing scenario exits 1 and shows the step's file:line:column and the diff", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS, "fail.yaml": FAIL });
  const run = await runCli([dir]);
  equal(run.code, 1, run.stderr);
  match(run.stdout, /✗ prints wrongly/);
  match(run.stdout, /fail\.yaml:5:5 step 2 \(exec\) print\("one"\)/);
  match(run.stdout, /- expected: 'two\\n'\n\s+\+ actual: {3}'one\\n'/);
  match(run.stdout, /2 scenarios: 1 passed, 1 failed/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an invalid scenario file exits 2 with file:line:column and no stack", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS, "broken.yaml": INVALID });
  const run = await runCli([dir]);
  equal(run.code, 2);
  equal(run.stdout, "");
  match(run.stderr, /broken\.yaml:3:5: unknown key 'exce'/);
  ok(!/\n\s+at /.test(run.stderr), run.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a path that does not exist exits 2 with one line", async () => {
  const run = await runCli(["/nonexistent/scenarios"]);
  equal(run.code, 2);
  equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  match(run.stderr, /\/nonexistent\/scenarios/);
});

Deno.test("--list prints the selected names and files and runs nothing", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS, "fail.yaml": FAIL });
  const all = await runCli([dir, "--list"]);
  equal(all.code, 0);
  deepStrictEqual(all.stdout.trim().split("\n").map((l) => l.split(/\s{2,}/)), [
    ["prints wrongly", `${dir}/fail.yaml`],
    ["adds numbers", `${dir}/pass.yaml`],
  ]);
  const tagged = await runCli([dir, "--list", "--tag", "smoke"]);
  equal(tagged.stdout, `adds numbers  ${dir}/pass.yaml\n`);
  const filtered = await runCli([dir, "--list", "--filter", "^prints"]);
  equal(filtered.stdout, `prints wrongly  ${dir}/fail.yaml\n`);
  const shard = await runCli([dir, "--list", "--shard", "2/2"]);
  equal(shard.stdout, `adds numbers  ${dir}/pass.yaml\n`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--filter and --tag choose which scenarios run", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS, "fail.yaml": FAIL });
  const byName = await runCli([dir, "--filter", "adds"]);
  equal(byName.code, 0, byName.stdout);
  match(byName.stdout, /1 scenario: 1 passed/);
  const byTag = await runCli([dir, "--tag", "io"]);
  equal(byTag.code, 1);
  ok(!byTag.stdout.includes("adds numbers"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--reporter dot with --output junit=FILE writes dots to stdout and JUnit to the file", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS, "fail.yaml": FAIL });
  const xmlFile = `${dir}/out/junit.xml`;
  const run = await runCli([dir, "--reporter", "dot", "--output", `junit=${xmlFile}`]);
  equal(run.code, 1);
  ok(run.stdout.startsWith("F.\n") || run.stdout.startsWith(".F\n"), run.stdout);
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" })
    .parse(await Deno.readTextFile(xmlFile));
  equal(xml.testsuites["@tests"], "2");
  equal(xml.testsuites["@failures"], "1");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--reporter json:FILE keeps pretty on stdout and writes parseable JSON", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS });
  const run = await runCli([dir, "--reporter", `json:${dir}/r.json`]);
  equal(run.code, 0);
  match(run.stdout, /✓ adds numbers/);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  equal(report.scenarios[0].name, "adds numbers");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--reporter tap writes TAP to stdout", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS });
  const run = await runCli([dir, "--reporter", "tap"]);
  equal(run.code, 0);
  match(run.stdout, /^TAP version 14\n1\.\.1\nok 1 - adds numbers/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--update rewrites a failing expectation, and the next run passes", async () => {
  const dir = await tempScenarios({ "fail.yaml": FAIL });
  const update = await runCli([dir, "--update"]);
  equal(update.code, 0, update.stdout + update.stderr);
  match(update.stdout, /1 expectation written in 1 file/);
  equal(parse(await Deno.readTextFile(`${dir}/fail.yaml`)).steps[1].expect.stdout, "one\n");
  const rerun = await runCli([dir]);
  equal(rerun.code, 0, rerun.stdout);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("usage mistakes exit 2 with one line and a suggestion", async () => {
  const unknown = await runCli(["scenarios/", "--repoter", "dot"]);
  equal(unknown.code, 2);
  match(unknown.stderr, /^pyrepl3: unknown option --repoter; did you mean --reporter\?\n/);
  const shard = await runCli(["scenarios/", "--shard", "3/2"]);
  equal(shard.code, 2);
  match(shard.stderr, /--shard: expected I\/N/);
  ok(!/\n\s+at /.test(unknown.stderr + shard.stderr));
});

Deno.test("--help shows examples and --version the version", async () => {
  const help = await runCli(["--help"]);
  equal(help.code, 0);
  match(help.stdout, /Examples:\n {2}pyrepl3 scenarios\//);
  match(help.stdout, /deno install -g -A -n pyrepl3 cli\.ts/);
  const version = await runCli(["--version"]);
  match(version.stdout, /^pyrepl3 \d+\.\d+\.\d+\n$/);
});

function captureIO(fields: Partial<CliIO>): CliIO & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
    isTerminal: true,
    colorAllowed: true,
    columns: 80,
    ...fields,
  };
}

Deno.test("on a terminal the pretty reporter colours and shows progress, unless NO_COLOR", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS });
  const coloured = captureIO({});
  equal(await main([dir], coloured), 0);
  ok(coloured.out.join("").includes("\x1b[32m✓"), "a green check mark");
  ok(coloured.out.some((t) => t.includes("0/1 done, running: adds numbers")), "a progress line");
  const plain = captureIO({ colorAllowed: false });
  equal(await main([dir], plain), 0);
  ok(!plain.out.join("").includes("\x1b[3"), "no colour codes under NO_COLOR");
  const piped = captureIO({ isTerminal: false });
  equal(await main([dir], piped), 0);
  ok(!piped.out.join("").includes("\x1b["), "no colour and no progress off a terminal");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("NO_COLOR in the environment turns colours off", () => {
  const before = Deno.env.get("NO_COLOR");
  try {
    Deno.env.set("NO_COLOR", "1");
    equal(processIO().colorAllowed, false);
    Deno.env.set("NO_COLOR", "");
    equal(processIO().colorAllowed, true);
  } finally {
    if (before === undefined) Deno.env.delete("NO_COLOR");
    else Deno.env.set("NO_COLOR", before);
  }
});

Deno.test("a --python that is missing or is no Python exits 2 with one line, before any scenario", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS });
  for (const python of ["/nonexistent/python3", "/bin/true"]) {
    const run = await runCli([dir, "--python", python]);
    equal(run.code, 2, run.stdout + run.stderr);
    equal(run.stdout, "", "no scenario ran");
    const lines = run.stderr.trimEnd().split("\n");
    equal(lines.length, 1, run.stderr);
    match(
      lines[0],
      new RegExp(`^pyrepl3: --python ${python}: not a usable Python 3\\.9\\+ interpreter`),
    );
  }
  await Deno.remove(dir, { recursive: true });
});
