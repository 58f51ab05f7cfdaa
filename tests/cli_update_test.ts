/**
 * `pyrepl3 --update` when files change under it: a file edited or removed during the run is that
 * file's failure; the other files are updated and the reports written all the same.
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
    [["edited", true], ["removed", true], ["fine", true]],
  );
  await Deno.remove(dir, { recursive: true });
});
