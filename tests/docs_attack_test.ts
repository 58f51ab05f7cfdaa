/**
 * Documents as tests, attacked: inputs a careless or hostile user gives (fences in blockquotes,
 * escaped docstrings, modules that never finish importing, ...), each a regression test of a
 * failure found that way.
 */
import { equal, match } from "node:assert/strict";
import { rewriteExamples } from "../lib/docs/update.ts";
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

/** Writes `files` to a fresh directory and runs `--update` on `target` there. */
async function updateIn(files: Record<string, string>, target: string, args: string[] = []) {
  const dir = await tempScenarios(files);
  const run = await runCli([`${dir}/${target}`, ...args, "--update", "--python", TEST_PYTHON]);
  return { dir, run };
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

Deno.test("modules: an import that never ends is stopped at the timeout, and import errors point at their line", async () => {
  const dir = await tempScenarios({
    "pyrepl3.yaml": "timeout: 1s\n",
    "forever.py": '"""\n>>> 1\n1\n"""\nwhile True:\n    pass\n',
    "syntax.py": '"""doc"""\nx = 1\ndef f(:\n    pass\n',
    "raises.py": 'import os\n\nraise RuntimeError("boom at import")\n',
  });
  const forever = await runCli([`${dir}/forever.py`, "--doctest-modules", "--python", TEST_PYTHON]);
  equal(forever.code, 2, forever.stdout + forever.stderr);
  match(
    forever.stderr,
    /forever\.py:1:1: importing the module did not finish within 1\.00s \(the config file's timeout: /,
  );
  const broken = await runCli([
    `${dir}/syntax.py`,
    `${dir}/raises.py`,
    "--doctest-modules",
    "--python",
    TEST_PYTHON,
  ]);
  equal(broken.code, 2, broken.stdout + broken.stderr);
  match(broken.stderr, /syntax\.py:3:1: importing the module failed: SyntaxError/);
  match(broken.stderr, /raises\.py:3:1: importing the module failed: RuntimeError: boom at import/);
});

Deno.test("--update on docstrings: backslashes and quotes escaped in a non-raw docstring, raw ones as is, escaped examples refused with the reason", async () => {
  const module = (a: string, b: string, c: string, d: string) =>
    [
      "def f():",
      '    """',
      '    >>> print("a\\tb")',
      `    ${a}`,
      "    >>> 'C:' + chr(92) + 'p'",
      `    ${b}`,
      "    >>> print('q' * 3 + '\"' * 3)",
      ...(c ? [`    ${c}`] : []),
      '    """',
      "",
      "",
      "def g():",
      '    r"""',
      "    >>> 'C:' + chr(92) + 'p'",
      `    ${d}`,
      '    """',
      "",
    ].join("\n");
  const files = { "m.py": module("wrong", "'nope'", "", "'nope'") };
  const { dir, run } = await updateIn(files, "m.py", ["--doctest-modules"]);
  equal(run.code, 1, run.stdout + run.stderr);
  match(run.stdout, /3 expectations written in 1 file \(/); // two docstrings, one file
  match(
    run.stderr,
    /m\.py:3: cannot update an example in a docstring with escape sequences .*make it a raw docstring \(r"""\.\.\."""\)/,
  );
  equal(
    await Deno.readTextFile(`${dir}/m.py`),
    module("wrong", "'C:\\\\\\\\p'", 'qqq\\"""', "'C:\\\\p'"),
  );
  const again = await runJson([`${dir}/m.py`, "--doctest-modules"]);
  equal(
    JSON.stringify(again.scenarios.map((s) => [s.name, s.steps.map((t) => t.status)])),
    JSON.stringify([
      ["m.f", ["passed", "failed", "passed", "passed"]],
      ["m.g", ["passed", "passed"]],
    ]),
  );
});

Deno.test("a byte order mark is no part of the first line: its example is found, and --update keeps the mark", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_bom_" });
  const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
  const write = (name: string, text: string) =>
    Deno.writeFile(`${dir}/${name}`, new Uint8Array([...bom, ...new TextEncoder().encode(text)]));
  await write("doc.md", "```pycon\r\n>>> 1 + 1\r\n3\r\n```\r\n");
  await write("doc.txt", ">>> 2 + 2\n4\n");
  const run = await runJson([`${dir}/doc.md`, `${dir}/doc.txt`]);
  equal(
    JSON.stringify(run.scenarios.map((s) => s.status)),
    '["failed","passed"]',
    JSON.stringify(run),
  );
  const updated = await runCli([`${dir}/doc.md`, "--update", "--python", TEST_PYTHON]);
  equal(updated.code, 0, updated.stdout + updated.stderr);
  const bytes = await Deno.readFile(`${dir}/doc.md`);
  equal(
    new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes),
    "\uFEFF```pycon\r\n>>> 1 + 1\r\n2\r\n```\r\n",
  );
});

Deno.test("--update refuses outputs no document can hold: a fence line in Markdown, >>> lines, a first line of ..., a carriage return, a printed traceback", async () => {
  const doc = [
    "```pycon",
    ">>> print('```')",
    "x",
    ">>> print('>>> 1')",
    "x",
    ">>> print('... 2')",
    "x",
    ">>> print('~~~ not a fence')",
    "x",
    ">>> print('a\\rb')",
    "x",
    ">>> print('Traceback (most recent call last):\\nValueError: printed')",
    "x",
    ">>> raise ValueError('raised')",
    "x",
    "```",
    "",
  ].join("\n");
  const { dir, run } = await updateIn({ "doc.md": doc }, "doc.md");
  equal(run.code, 1, run.stdout + run.stderr);
  match(run.stderr, /doc\.md:2: cannot update this example: a line of its output .* would close/);
  match(run.stderr, /doc\.md:4: cannot update this example: doctest would read its output as/);
  match(run.stderr, /doc\.md:6: cannot update this example: doctest would read its output as/);
  match(run.stderr, /doc\.md:10: cannot update this example: its output holds a carriage return/);
  match(run.stderr, /doc\.md:12: cannot update this example: it printed a traceback but raised/);
  // The example that can be written is, and nothing else changed.
  equal(
    await Deno.readTextFile(`${dir}/doc.md`),
    doc.replace("fence')\nx", "fence')\n~~~ not a fence").replace(
      "raised')\nx",
      "raised')\nTraceback (most recent call last):\n    ...\nValueError: raised",
    ),
  );
});

Deno.test("rewriteExamples: 20,000 examples of one document, each output growing, in one pass", () => {
  // Each rewrite moves every later example down a line: the examples are found where they were.
  const n = 20_000;
  const doc = (want: (i: number) => string) =>
    "```pycon\r\n" +
    Array.from({ length: n }, (_, i) => `>>> ${i} + 1\r\n${want(i)}`).join("") + "```";
  const rewrites = Array.from({ length: n }, (_, i) => ({
    line: 2 + 2 * i,
    source: `${i} + 1\n`,
    want: "0\n",
    newWant: `${i + 1}\nmore\n`,
    indent: 0,
  }));
  equal(
    rewriteExamples(doc(() => "0\r\n"), rewrites, "huge.md"),
    doc((i) => `${i + 1}\r\nmore\r\n`),
  );
});

Deno.test("--update leaves a document edited during the run alone, even when its examples are still there", async () => {
  const doc = [
    "```pycon",
    ">>> 1 + 1",
    "3",
    ">>> _ = open('doc.md', 'a').write('edited during the run\\n')",
    "```",
    "",
  ].join("\n");
  const { dir, run } = await updateIn({ "doc.md": doc }, "doc.md");
  equal(run.code, 1, run.stdout + run.stderr);
  match(run.stderr, /doc\.md changed on disk since it was read; it was not updated/);
  equal(await Deno.readTextFile(`${dir}/doc.md`), doc + "edited during the run\n");
});

Deno.test("--doctest-modules on a directory leaves setup.py, __main__.py and conftest.py out; a requirements.txt is no document", async () => {
  const dir = await tempScenarios({
    "setup.py": "from setuptools import setup\nsetup()\n",
    "__main__.py": "raise SystemExit('a program, not a module')\n",
    "conftest.py": "import pytest_plugin_that_is_not_installed\n",
    "requirements.txt": "requests==2.31.0\nnumpy>=1.26\n",
    "mod.py": 'def f():\n    """\n    >>> f()\n    1\n    """\n    return 1\n',
  });
  const run = await runJson([dir, "--docs", "--doctest-modules"]);
  equal(run.code, 0);
  equal(JSON.stringify(run.scenarios.map((s) => [s.name, s.status])), '[["mod.f","passed"]]');
});

Deno.test("an example that never ends stops at its timeout directive, saying so; the next examples run", async () => {
  const dir = await tempScenarios({
    "doc.md": "```pycon\n>>> while True: pass  # pyrepl3: timeout=500ms\n>>> 2\n2\n```\n",
  });
  const run = await runCli([`${dir}/doc.md`, "--python", TEST_PYTHON]);
  equal(run.code, 1, run.stdout + run.stderr);
  match(
    run.stdout,
    /doc\.md:2:1 step 1 .*\n +status: the example did not finish: status timeout; the limit was 500ms, set by the step's timeout: \(.*doc\.md:2\)/,
  );
  match(run.stdout, /1 scenario: 0 passed, 1 failed/);
  equal((await runJson([`${dir}/doc.md`])).scenarios[0].steps[1].status, "passed");
});

Deno.test("--update on an example indented with tabs: found as doctest reads it (8 columns), the tabs kept", async () => {
  const { dir, run } = await updateIn(
    { "doc.rst": "Intro\n\n\t>>> 1 + 1\n\t3\n  \t>>> 'x'\n\t'y'\n" },
    "doc.rst",
  );
  equal(run.code, 0, run.stdout + run.stderr);
  equal(
    await Deno.readTextFile(`${dir}/doc.rst`),
    "Intro\n\n\t>>> 1 + 1\n\t2\n  \t>>> 'x'\n  \t'x'\n",
  );
});

Deno.test("a document named three ways runs once, and --update writes it once", async () => {
  const dir = await tempScenarios({ "doc.txt": ">>> 1 + 1\n3\n" });
  const run = await runCli(
    ["doc.txt", "./doc.txt", `${dir}/doc.txt`, "--update", "--python", TEST_PYTHON],
    { cwd: dir },
  );
  equal(run.code, 0, run.stdout + run.stderr);
  match(run.stdout, /1 scenario: 1 passed, 0 failed, 1 expectation written in 1 file/);
  equal(await Deno.readTextFile(`${dir}/doc.txt`), ">>> 1 + 1\n2\n");
});

Deno.test("directive typos are refused at their line, the bad value shown whole", async () => {
  const dir = await tempScenarios({
    "doc.txt": [
      '>>> x = 1  # pyrepl3: inptus=["a"]',
      ">>> x = input()  # pyrepl3: inputs=not json  # doctest: +SKIP",
      ">>> x = 1  # pyrepl3: timeout=abc",
      ">>> x = 1  # pyrepl3: transaction=nope",
      "",
    ].join("\n"),
  });
  const run = await runCli([`${dir}/doc.txt`, "--python", TEST_PYTHON]);
  equal(run.code, 2, run.stdout + run.stderr);
  match(run.stderr, /doc\.txt:1:1: unknown directive 'inptus'/);
  match(run.stderr, /doc\.txt:2:1: inputs=not json: expected a JSON list/);
  match(run.stderr, /doc\.txt:3:1: timeout=abc: expected e\.g\. 5s/);
  match(run.stderr, /doc\.txt:4:1: transaction=nope: expected commit_always/);
});
