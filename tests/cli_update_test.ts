/**
 * `pyrepl3 --update`: what it reports and how it exits, and when files change under it (a file
 * edited or removed during the run is that file's failure; the other files are updated and the
 * reports written all the same).
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "yaml";
import { XMLParser } from "fast-xml-parser";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

/** A scenario whose one step runs `code`, then prints with a wrong expectation. */
function scenario(name: string, code: string): string {
  return `name: ${name}
steps:
  - exec: ${JSON.stringify(code)}
  - exec: print("${name}")
    expect: { stdout: "wrong\\n" }
`;
}

Deno.test("--update leaves alone a file edited or removed during the run, and updates the others", async () => {
  const dir = await tempScenarios({});
  const edited = `${dir}/a_edited.yaml`;
  const removed = `${dir}/b_removed.yaml`;
  const fine = `${dir}/c_fine.yaml`;
  // The first step of each changes its own file, as an editor or a checkout would mid-run.
  const editedText = scenario(
    "edited",
    `open(${JSON.stringify(edited)}, "a").write("# edited\\n")`,
  );
  await Deno.writeTextFile(edited, editedText);
  await Deno.writeTextFile(
    removed,
    scenario("removed", `import os; os.remove(${JSON.stringify(removed)})`),
  );
  await Deno.writeTextFile(fine, scenario("fine", "pass"));
  const junit = `${dir}/junit.xml`;
  const run = await runCli([dir, "--update", "--jobs", "1", "--reporter", `junit:${junit}`]);
  equal(run.code, 1, run.stdout + run.stderr);
  match(run.stderr, /a_edited\.yaml changed on disk since it was read; it was not updated/);
  match(run.stderr, /b_removed\.yaml was removed during the run; not updated/);
  ok(!/internal error|\n\s+at /.test(run.stderr), run.stderr);

  equal(await Deno.readTextFile(edited), editedText + "# edited\n", "the edit is kept as it was");
  equal(parse(await Deno.readTextFile(fine)).steps[1].expect.stdout, "fine\n");
  const cases = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" })
    .parse(await Deno.readTextFile(junit)).testsuites.testsuite.testcase;
  deepStrictEqual(
    cases.map((c: Record<string, unknown>) => [c["@name"], "failure" in c]),
    [["edited", true], ["removed", true], ["fine", false]],
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--update reports the expectations it wrote, not a failure, and exits 0 when all then pass", async () => {
  const dir = await tempScenarios({
    "a.yaml": 'steps:\n  - exec: print(71)\n    expect: { stdout: "70\\n" }\n  - exec: 6 * 7\n',
    "b.yaml":
      "tags: [bank, smoke]\nsteps:\n  - exec: 2 ** 70\n    expect:\n      value: 1  # big\n",
  });
  try {
    const run = await runCli([dir, "--update"]);
    equal(run.code, 0, run.stdout + run.stderr);
    match(run.stdout, /3 expectations written in 2 files/);
    ok(!/FAIL|expected/.test(run.stdout), run.stdout);
    equal(
      await Deno.readTextFile(`${dir}/b.yaml`),
      "tags: [bank, smoke]\nsteps:\n  - exec: 2 ** 70\n    expect:\n      value: 1180591620717411303424  # big\n",
    );
    equal((await runCli([dir])).code, 0, "the updated files pass as they are");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--update exits 1 when a step still fails after the update (a crash is never written)", async () => {
  const text = 'steps:\n  - exec: print(1)\n    expect: { stdout: "2\\n" }\n' +
    "  - exec: import os; os._exit(3)\n";
  const dir = await tempScenarios({ "crash.yaml": text });
  try {
    const run = await runCli([dir, "--update"]);
    equal(run.code, 1, run.stdout + run.stderr);
    match(run.stdout, /1 expectation written in 1 file/);
    match(run.stdout, /FAIL/);
    const after = await Deno.readTextFile(`${dir}/crash.yaml`);
    equal(after, text.replace('"2\\n"', '"1\\n"'));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
