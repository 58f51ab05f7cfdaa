/**
 * Documents as scenario sources: which files a path expands to, what each kind yields (Markdown
 * fences, reST/text, module docstrings), the `# pyrepl3:` directives (inputs, transactions,
 * checkpoints) and how a failing example is reported.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { runScenarios } from "../lib/scenario/run.ts";
import { loadScenarios } from "../lib/scenario/select.ts";
import { ScenarioNotFoundError, ScenarioValidationError } from "../lib/scenario/errors.ts";
import type { ScenarioReport } from "../lib/report/model.ts";
import { tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

const SCENARIO = "steps:\n  - exec: x = 1\n";
const fence = (body: string, info = "pycon") => "```" + info + "\n" + body + "```\n";

async function run(paths: string[], options: Parameters<typeof loadScenarios>[1] = {}) {
  const loaded = await loadScenarios(paths, { python: TEST_PYTHON, ...options });
  return await runScenarios(loaded, { python: TEST_PYTHON });
}

function statuses(report: ScenarioReport): [number, string][] {
  return report.steps.map((s) => [s.line, s.status]);
}

Deno.test("a directory expands to documents only with docs (or docs: true in pyrepl3.yaml); named files always run", async () => {
  const dir = await tempScenarios({
    "a.yaml": SCENARIO,
    "b.md": fence(">>> 1 + 1\n2\n"),
    "c.rst": "Text\n\n    >>> 2 + 2\n    4\n",
    "d.txt": "no examples here\n",
    "e.py": '"""\n>>> 3\n3\n"""\n',
  });
  const names = async (paths: string[], options = {}) =>
    (await loadScenarios(paths, { python: TEST_PYTHON, ...options })).map((s) => s.name);
  deepStrictEqual(await names([dir]), ["a"]);
  deepStrictEqual(await names([dir], { docs: true }), ["a", "b.md", "c.rst"]);
  deepStrictEqual(await names([dir], { docs: true, doctestModules: true }), [
    "a",
    "b.md",
    "c.rst",
    "e",
  ]);
  deepStrictEqual(await names([`${dir}/b.md`]), ["b.md"]);
  deepStrictEqual(await names([`${dir}/*.md`]), ["b.md"]);
  await rejects(() => names([`${dir}/e.py`]), ScenarioNotFoundError);
  await Deno.writeTextFile(`${dir}/pyrepl3.yaml`, "docs: true\ndoctest_options: [ELLIPSIS]\n");
  deepStrictEqual(await names([dir]), ["a", "b.md", "c.rst"]);
  const [, md] = await loadScenarios([dir], { python: TEST_PYTHON });
  const step = md.steps[0];
  ok(step.kind === "exec");
  deepStrictEqual(step.doctest?.runOptions, ["ELLIPSIS"]);
});

Deno.test("Markdown: examples of pycon/python/py fences and untagged fences starting with >>>, at their lines", async () => {
  const dir = await tempScenarios({
    "doc.md": [
      "# Doc\n",
      "```bash\n>>> not python\n```\n",
      fence(">>> 1 + 1\n2\n"),
      "```python\nprint('a script, not an example')\n```\n",
      fence(">>> 'py'\n'py'\n", "py"),
      fence(">>> 'untagged'\n'untagged'\n", ""),
      "```\nplain text\n```\n",
      "- item\n\n  " + fence("  >>> x = 5\n  >>> x\n  6\n", "python").replace("\n  ```", "\n  ```"),
    ].join("\n"),
  });
  const report = await run([`${dir}/doc.md`]);
  const [doc] = report.scenarios;
  deepStrictEqual(statuses(doc), [[8, "passed"], [17, "passed"], [22, "passed"], [33, "passed"], [
    34,
    "failed",
  ]]);
  equal(doc.steps[4].column, 3);
  match(doc.steps[4].failures[0].message, /Expected:\n\s+6\n\s+Got:\n\s+5/);
  equal(doc.steps[4].failures[0].expected, "6\n");
  equal(doc.steps[4].failures[0].actual, "5\n");
});

Deno.test("a module's docstrings: one scenario per docstring, each with a copy of the module's globals", async () => {
  const dir = await tempScenarios({
    "mod.py": [
      '"""The module.',
      "",
      ">>> CONSTANT",
      "7",
      '"""',
      "CONSTANT = 7",
      "",
      "def double(n):",
      '    """Doubles.',
      "",
      "    >>> double(CONSTANT)",
      "    14",
      "    >>> CONSTANT = 0",
      '    """',
      "    return 2 * n",
      "",
      "class Box:",
      '    """A box.',
      "",
      "    >>> Box().size, CONSTANT",
      "    (1, 7)",
      '    """',
      "    size = 1",
      "",
    ].join("\n"),
  });
  const report = await run([`${dir}/mod.py`], { doctestModules: true });
  deepStrictEqual(report.scenarios.map((s) => s.name), ["mod", "mod.Box", "mod.double"]);
  deepStrictEqual(report.scenarios.map((s) => s.status), ["passed", "passed", "passed"]);
  // The first step of each gives it the module's globals; the examples follow at their lines.
  deepStrictEqual(report.scenarios[2].steps.slice(1).map((s) => s.line), [11, 13]);
  deepStrictEqual(report.scenarios[1].steps.slice(1).map((s) => s.line), [20]);
});

Deno.test("# pyrepl3: directives: inputs, rollback, explicit transactions, checkpoint and restore", async () => {
  const dir = await tempScenarios({
    "d.md": fence(
      [
        '>>> name = input("Name? ")  # pyrepl3: inputs=["Alice"]',
        "Name? ",
        ">>> name",
        "'Alice'",
        ">>> name = 'temporary'  # pyrepl3: rollback",
        ">>> name",
        "'Alice'",
        ">>> # pyrepl3: checkpoint=saved",
        ">>> name = 'changed'",
        ">>> # pyrepl3: restore=saved",
        ">>> name",
        "'Alice'",
        ">>> count = 1  # pyrepl3: transaction=explicit",
        ">>> count = 2",
        ">>> # pyrepl3: rollback",
        ">>> count",
        "Traceback (most recent call last):",
        "NameError: name 'count' is not defined",
        ">>> 1 / 0  # pyrepl3: transaction=rollback_on_failure",
        "0",
        ">>> input()  # pyrepl3: timeout=5s",
        "",
      ].join("\n") + "\n",
    ),
  });
  const report = await run([`${dir}/d.md`]);
  const [doc] = report.scenarios;
  deepStrictEqual(doc.steps.map((s) => [s.kind, s.status]), [
    ["exec", "passed"],
    ["exec", "passed"],
    ["exec", "passed"],
    ["exec", "passed"],
    ["checkpoint", "passed"],
    ["exec", "passed"],
    ["restore", "passed"],
    ["exec", "passed"],
    ["exec", "passed"],
    ["exec", "passed"],
    ["rollback", "passed"],
    ["exec", "passed"],
    ["exec", "failed"],
    ["exec", "failed"],
  ]);
  // input() with no reply fails clearly and never hangs.
  match(
    doc.steps[13].failures.map((f) => f.message).join("\n"),
    /no scripted reply was left \(add one with a directive: # pyrepl3: inputs=/,
  );
});

Deno.test("a bad directive or an unparsable document is a validation error at its line", async () => {
  const dir = await tempScenarios({
    "bad.md": "text\n\n" + fence(">>> x = 1  # pyrepl3: inputs=Alice\n"),
    "restore.md": fence(">>> # pyrepl3: restore=nothing\n"),
    "indent.txt": "   >>> 1\n  1\n",
  });
  for (
    const [file, line, pattern] of [
      ["bad.md", 4, /inputs=Alice: expected a JSON list/],
      ["restore.md", 2, /no earlier example takes a checkpoint/],
      ["indent.txt", 2, /inconsistent leading whitespace/],
    ] as const
  ) {
    const error = await loadScenarios([`${dir}/${file}`], { python: TEST_PYTHON }).then(
      () => undefined,
      (e) => e,
    );
    ok(error instanceof ScenarioValidationError, file);
    equal(error.issues[0].line, line, file);
    match(error.issues[0].message, pattern);
  }
});

Deno.test("documents keep going after a failed example; bail and FAIL_FAST stop them", async () => {
  const dir = await tempScenarios({
    "f.txt": ">>> 1\n2\n>>> 2\n2\n>>> 3\n4\n",
  });
  const path = `${dir}/f.txt`;
  const all = (await run([path])).scenarios[0];
  deepStrictEqual(statuses(all), [[1, "failed"], [3, "passed"], [5, "failed"]]);
  const loaded = await loadScenarios([path], { python: TEST_PYTHON });
  const bailed = (await runScenarios(loaded, { python: TEST_PYTHON, bail: true })).scenarios[0];
  deepStrictEqual(statuses(bailed), [[1, "failed"], [3, "skipped"], [5, "skipped"]]);
  const fast = (await run([path], { doctestOptions: ["FAIL_FAST"] })).scenarios[0];
  deepStrictEqual(statuses(fast), [[1, "failed"], [3, "skipped"], [5, "skipped"]]);
});

Deno.test("a document whose interpreter dies skips the rest of its examples", async () => {
  const dir = await tempScenarios({
    "crash.txt": ">>> x = 1\n>>> import os; os._exit(3)\n>>> x\n1\n",
  });
  const [doc] = (await run([`${dir}/crash.txt`])).scenarios;
  deepStrictEqual(statuses(doc), [[1, "passed"], [2, "failed"], [3, "skipped"]]);
  match(doc.steps[1].failures[0].message, /status crashed/);
});

Deno.test("a module's unparsable docstring is refused at the file's line", async () => {
  const dir = await tempScenarios({
    "badmod.py": 'def f():\n    """Doc.\n\n    >>> 1\n  1\n    """\n',
  });
  const error = await loadScenarios([`${dir}/badmod.py`], {
    python: TEST_PYTHON,
    doctestModules: true,
  }).then(() => undefined, (e) => e);
  ok(error instanceof ScenarioValidationError);
  equal(error.issues[0].line, 5);
  match(error.issues[0].message, /inconsistent leading whitespace/);
});
