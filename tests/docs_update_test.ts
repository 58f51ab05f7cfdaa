/**
 * `--update` on documents: each failing example's expected output is rewritten in place (an
 * exception as a doctest traceback block), every other byte stays (prose, fences, indentation,
 * CRLF line endings, a last line without one), and the document then passes.
 */
import { equal, match } from "node:assert/strict";
import { rewriteExamples } from "../lib/docs/update.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

async function update(dir: string, files: string[], extra: string[] = []) {
  const paths = files.map((f) => `${dir}/${f}`);
  const updated = await runCli([...paths, "--update", "--python", TEST_PYTHON, ...extra]);
  equal(updated.code, 0, updated.stdout + updated.stderr);
  const again = await runCli([...paths, "--python", TEST_PYTHON, ...extra]);
  equal(again.code, 0, again.stdout + again.stderr);
  return updated;
}

Deno.test("--update rewrites a Markdown document's outputs in place: CRLF, indentation in a list, blank lines, exceptions", async () => {
  const before = [
    "# Title",
    "",
    "- a list item:",
    "",
    "  ```pycon",
    "  >>> 1 + 1",
    "  3",
    '  >>> print("a\\n\\nb")',
    "  >>> x = 5",
    "  >>> 1 / 0",
    "  >>> x  # unchanged",
    "  5",
    "  ```",
    "",
    "Prose *stays*   as it is.",
    "",
  ].join("\r\n");
  const after = [
    "# Title",
    "",
    "- a list item:",
    "",
    "  ```pycon",
    "  >>> 1 + 1",
    "  2",
    '  >>> print("a\\n\\nb")',
    "  a",
    "  <BLANKLINE>",
    "  b",
    "  >>> x = 5",
    "  >>> 1 / 0",
    "  Traceback (most recent call last):",
    "      ...",
    "  ZeroDivisionError: division by zero",
    "  >>> x  # unchanged",
    "  5",
    "  ```",
    "",
    "Prose *stays*   as it is.",
    "",
  ].join("\r\n");
  const dir = await tempScenarios({ "doc.md": before });
  const run = await update(dir, ["doc.md"]);
  match(run.stdout, /3 expectations written in 1 file/);
  equal(await Deno.readTextFile(`${dir}/doc.md`), after);
});

Deno.test("--update on reST: a wrong exception becomes a traceback block, a last line without a newline keeps none", async () => {
  const dir = await tempScenarios({
    "doc.rst": 'Intro\n\n    >>> [1, 2]\n    [1]\n    >>> raise ValueError("bad")\n' +
      '    Traceback (most recent call last):\n    ValueError: good\n    >>> "last"',
  });
  await update(dir, ["doc.rst"]);
  equal(
    await Deno.readTextFile(`${dir}/doc.rst`),
    'Intro\n\n    >>> [1, 2]\n    [1, 2]\n    >>> raise ValueError("bad")\n' +
      "    Traceback (most recent call last):\n        ...\n    ValueError: bad\n" +
      "    >>> \"last\"\n    'last'",
  );
});

Deno.test("--update on a module: the docstrings of one file, rewritten one after the other", async () => {
  const source = (a: string, b: string) =>
    [
      "def f():",
      '    """',
      "    >>> f()",
      `    ${a}`,
      '    """',
      "    return 1",
      "",
      "def g():",
      '    """',
      "    >>> g()",
      `    ${b}`,
      "    >>> print('two'); print('lines')",
      '    """',
      "    return 2",
      "",
    ].join("\n");
  const dir = await tempScenarios({ "m.py": source("0", "0") });
  await update(dir, ["m.py"], ["--doctest-modules"]);
  equal(
    await Deno.readTextFile(`${dir}/m.py`),
    source("1", "2").replace("('lines')", "('lines')\n    two\n    lines"),
  );
});

Deno.test("rewriteExamples finds a moved example and refuses one that is gone", () => {
  const text = "intro\nadded line\n>>> 1\n0\n";
  const rewrite = { line: 2, source: "1\n", want: "0\n", newWant: "1\n", indent: 0 };
  equal(rewriteExamples(text, [rewrite], "x.txt"), "intro\nadded line\n>>> 1\n1\n");
  let error: unknown;
  try {
    rewriteExamples("nothing here\n", [rewrite], "x.txt");
  } catch (e) {
    error = e;
  }
  equal((error as Error).name, "ScenarioChangedError");
});
