/**
 * Documents as tests, attacked: inputs a careless or hostile user gives (fences in blockquotes,
 * escaped docstrings, modules that never finish importing, ...), each a regression test of a
 * failure found that way.
 */
import { equal } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

/** The JSON report of a run: each scenario's name, status, and its steps' lines and statuses. */
async function runJson(args: string[]) {
  const run = await runCli([...args, "--python", TEST_PYTHON, "--reporter", "json"]);
  const report = JSON.parse(run.stdout) as {
    scenarios: { name: string; status: string; steps: { line: number; status: string }[] }[];
  };
  return { code: run.code, scenarios: report.scenarios };
}

Deno.test("Markdown: fences in a blockquote and in list items are found, and --update keeps the `> ` markers", async () => {
  const doc = (a: string, b: string) =>
    [
      "- item",
      "",
      "  ```pycon",
      "  >>> 1 + 1",
      `  ${a}`,
      "  ```",
      "",
      "> Quoted:",
      ">",
      "> ```pycon",
      '> >>> print("x\\n\\ny")',
      `> ${b}`,
      "> ```",
      "",
      "> ```pycon",
      "> >>> 7",
      "not quoted any more: the blockquote and its fence end here",
      ">>> 8",
      "",
    ].join("\n");
  const dir = await tempScenarios({ "doc.md": doc("3", "z") });
  const first = await runJson([`${dir}/doc.md`]);
  equal(first.code, 1);
  // 7 fails: its expected output is empty (the fence ended with the blockquote); 8 is prose.
  equal(
    JSON.stringify(first.scenarios[0].steps.map((s) => [s.line, s.status])),
    JSON.stringify([[4, "failed"], [11, "failed"], [16, "failed"]]),
  );
  const updated = await runCli([`${dir}/doc.md`, "--update", "--python", TEST_PYTHON]);
  equal(updated.code, 0, updated.stdout + updated.stderr);
  equal(
    await Deno.readTextFile(`${dir}/doc.md`),
    doc("2", "x\n> <BLANKLINE>\n> y").replace("> >>> 7\n", "> >>> 7\n> 7\n"),
  );
  equal((await runJson([`${dir}/doc.md`])).code, 0);
});
