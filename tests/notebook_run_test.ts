import { equal, ok, throws } from "node:assert/strict";
import { loadNotebook, type NotebookOptions } from "../lib/notebook/mod.ts";
import type { ScenarioReport } from "../lib/report/model.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import {
  NOTEBOOK_FIXTURES as FIXTURES,
  notebookFixture as fixture,
  runNotebook,
} from "./_helpers/notebooks.ts";

/** Runs notebook text as the file `name` in the fixtures directory, every cell reported. */
function run(name: string, text: string, options: NotebookOptions = {}): Promise<ScenarioReport> {
  return runNotebook(`${FIXTURES}${name}`, text, options);
}

function statuses(report: ScenarioReport): string {
  return report.steps.map((s) => s.status).join(" ");
}

Deno.test("notebook: a notebook IPython ran passes cell by cell, each step at its source line", async () => {
  const text = await fixture("basic.ipynb");
  const [scenario] = loadNotebook(`${FIXTURES}basic.ipynb`, text);
  // Eight code cells (the markdown cell is no step), each step's code is its cell's source.
  equal(scenario.steps.length, 8);
  const step = scenario.steps[1];
  ok(step.kind === "exec");
  equal(step.code, 'print("hello")\nprint("two\\nlines")');
  const lines = text.split("\n");
  for (const s of scenario.steps) {
    ok(s.kind === "exec");
    const firstLine = s.code.split("\n")[0];
    ok(
      lines[s.line - 1].includes(JSON.stringify(firstLine).slice(1, -1)),
      `line ${s.line} of the notebook holds the cell's first line ${firstLine}`,
    );
  }
  const report = await run("basic.ipynb", text);
  equal(report.status, "passed", JSON.stringify(report.steps.map((s) => s.failures)));
  equal(statuses(report), "passed ".repeat(8).trim());
  equal(report.steps[2].line, scenario.steps[2].line);
});

Deno.test("notebook: a changed output fails its cell with the expected and actual text", async () => {
  const text = (await fixture("basic.ipynb"))
    .replace('"hello\\n",', '"hullo\\n",')
    .replace('"42"', '"41"')
    .replace('"careful\\n"', '"cautious\\n"');
  const report = await run("basic.ipynb", text);
  equal(report.status, "failed");
  equal(statuses(report), "passed failed failed failed passed passed passed passed");
  const [stdout] = report.steps[1].failures;
  equal(stdout.kind, "stdout");
  equal(stdout.expected, "hullo\ntwo\nlines\n");
  equal(stdout.actual, "hello\ntwo\nlines\n");
  const [repr] = report.steps[2].failures;
  equal(repr.kind, "repr");
  equal(repr.expected, "41");
  equal(repr.actual, "42");
  equal(report.steps[3].failures[0].kind, "stderr");
});

Deno.test("notebook: a cell that shows a value where none was saved fails", async () => {
  const text = (await fixture("basic.ipynb")).replace('"x = 21"', '"x = 21\\n",\n    "x"');
  const report = await run("basic.ipynb", text);
  const [failure] = report.steps[0].failures;
  equal(failure.kind, "repr");
  equal(failure.actual, "21");
});

Deno.test("notebook: tags skip, nbval-skip, raises-exception and nbval-ignore-output", async () => {
  const text = await fixture("tags.ipynb");
  const [scenario] = loadNotebook(`${FIXTURES}tags.ipynb`, text);
  // The two skipped cells (1 / 0, SystemExit) are no steps: they never run.
  equal(
    scenario.steps.map((s) => s.kind === "exec" ? s.code : "").join(" | "),
    '1 / 0 | import random\nrandom.random() | print("after")',
  );
  const report = await run("tags.ipynb", text);
  equal(report.status, "passed", JSON.stringify(report.steps.map((s) => s.failures)));

  // raises-exception expects the saved error, by name.
  const wrongError = await run("tags.ipynb", text.replace('"1 / 0"', "\"int('x')\""));
  equal(wrongError.steps[0].failures[0].kind, "error.type");
  ok(wrongError.steps[0].failures[0].message.includes("ZeroDivisionError"));
  // A cell tagged raises-exception that raises nothing fails.
  const noError = await run("tags.ipynb", text.replace('"1 / 0"', '"1 / 1"'));
  equal(noError.steps[0].status, "failed");
  equal(noError.steps[0].failures[0].kind, "status");
  // Without the tag an error fails the cell, as in nbval, even when the error was saved.
  const untagged = await run("tags.ipynb", text.replace('"raises-exception"', '"other"'));
  equal(untagged.steps[0].status, "failed");
  ok(untagged.steps[0].failures[0].message.includes("expected status ok, got error"));
  // nbval-ignore-output still fails a cell that raises.
  const ignored = await run(
    "tags.ipynb",
    text.replace('"random.random()"', '"random.random() / 0"'),
  );
  equal(ignored.steps[1].status, "failed");
  equal(ignored.steps[2].status, "passed");
});

Deno.test("notebook: a kernel that is not Python is refused before anything runs", async () => {
  const text = await fixture("kernel_r.ipynb");
  throws(
    () => loadNotebook("kernel_r.ipynb", text),
    (e: unknown) =>
      e instanceof ScenarioValidationError &&
      /^kernel_r\.ipynb:\d+:\d+: the notebook's kernel is not Python \(metadata kernelspec\.language is "R"\)/
        .test(e.message),
  );
  // A kernel named for Python with no language given runs.
  const named = text.replace(/"language": "R",\n\s*/, "").replace('"ir"', '"conda-env-py"')
    .replace(/,\n\s*"language_info": \{\n\s*"name": "R"\n\s*\}/, "");
  equal(loadNotebook("named.ipynb", named)[0].steps.length, 1);
});

Deno.test("notebook: other nbformat versions and non-notebooks are refused clearly", () => {
  const v3 = JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] });
  throws(() => loadNotebook("old.ipynb", v3), /not a notebook|nbformat/);
  const v3cells = JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, cells: [] });
  throws(() => loadNotebook("old.ipynb", v3cells), /unsupported notebook format: nbformat 3/);
  throws(
    () => loadNotebook("bad.ipynb", '{"cells": [\n'),
    /bad\.ipynb:\d+:\d+: not a notebook: the file is not valid JSON/,
  );
});

Deno.test("notebook: input() is answered from the cell's directive; rollback undoes a cell", async () => {
  const report = await run("input.ipynb", await fixture("input.ipynb"));
  // The last cell shows 'Alice': the rollback cell's `name = "Bob"` was undone.
  equal(report.status, "passed", JSON.stringify(report.steps.map((s) => s.failures)));
  equal(report.steps[0].inputs?.join(","), "Alice");
});

Deno.test("notebook: an input() with no reply fails its cell at once, saying so", async () => {
  const start = performance.now();
  const report = await run("unanswered.ipynb", await fixture("unanswered.ipynb"));
  equal(report.status, "failed");
  const [inputs] = report.steps[0].failures;
  equal(inputs.kind, "inputs");
  ok(inputs.message.includes('prompt "Name: "'), inputs.message);
  // The code got end of input (EOFError) rather than waiting: the step did not time out.
  equal(report.steps[0].actual?.status, "error");
  equal(report.steps[0].actual?.error?.type, "EOFError");
  ok(performance.now() - start < 20_000);
});

Deno.test("notebook: a bad directive is reported at its line in the notebook", async () => {
  const text = (await fixture("input.ipynb")).replace("inputs=[", "answers=[");
  try {
    loadNotebook("input.ipynb", text);
    ok(false, "the bad directive was accepted");
  } catch (e) {
    ok(e instanceof ScenarioValidationError);
    const line = text.split("\n").findIndex((l) => l.includes("answers=")) + 1;
    ok(e.message.startsWith(`input.ipynb:${line}:`), e.message);
    ok(e.message.includes("unknown directive 'answers'"), e.message);
  }
});

Deno.test("notebook: --nb-sanitize normalizes addresses, ANSI codes and IPython's display forms", async () => {
  const text = await fixture("sanitize.ipynb");
  const raw = await run("sanitize.ipynb", text);
  equal(statuses(raw), "failed passed failed");
  equal(raw.steps[0].failures[0].kind, "repr");
  // IPython breaks a long list after each comma; repr() does not.
  equal(raw.steps[2].failures[0].expected?.split("\n").length, 30);
  const sanitized = await run("sanitize.ipynb", text, { sanitize: true });
  equal(sanitized.status, "passed", JSON.stringify(sanitized.steps.map((s) => s.failures)));
  // ANSI codes: the saved text without colours matches the coloured output once sanitized.
  const plain = text.replace("\\u001b[31mred\\u001b[0m\\n", "red\\n");
  equal((await run("sanitize.ipynb", plain)).steps[1].status, "failed");
  equal((await run("sanitize.ipynb", plain, { sanitize: true })).steps[1].status, "passed");
});

Deno.test("notebook: cells of only a directive are checkpoint and restore steps", async () => {
  const code = (source: string, outputs: unknown[] = []) => ({
    cell_type: "code",
    execution_count: null,
    metadata: {},
    outputs,
    source: [source],
  });
  const value = (text: string) => ({
    data: { "text/plain": [text] },
    execution_count: null,
    metadata: {},
    output_type: "execute_result",
  });
  const text = JSON.stringify(
    {
      cells: [
        code("x = 1"),
        code("# pyrepl3: checkpoint=start"),
        code("x = 2"),
        code("x", [value("2")]),
        code("# pyrepl3: restore=start"),
        code("x", [value("1")]),
      ],
      metadata: { kernelspec: { language: "python", name: "python3" } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
  const [scenario] = loadNotebook(`${FIXTURES}checkpoints.ipynb`, text);
  equal(scenario.steps.map((s) => s.kind).join(), "exec,checkpoint,exec,exec,restore,exec");
  const report = await run("checkpoints.ipynb", text);
  equal(report.status, "passed", JSON.stringify(report.steps.map((s) => s.failures)));
});

Deno.test("notebook: a notebook with no cell to run gives no scenario", () => {
  const text = JSON.stringify({
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["# Notes"] },
      {
        cell_type: "code",
        execution_count: null,
        metadata: { tags: ["skip"] },
        outputs: [],
        source: ["1 / 0"],
      },
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  });
  equal(loadNotebook("notes.ipynb", text).length, 0);
});

Deno.test("notebook: --nb-sanitize matches a set IPython saved sorted against repr()'s order", async () => {
  const cell = (source: string, plain: string) => ({
    cell_type: "code",
    execution_count: 1,
    metadata: {},
    outputs: [{
      data: { "text/plain": [plain] },
      execution_count: 1,
      metadata: {},
      output_type: "execute_result",
    }],
    source: [source],
  });
  // As IPython shows them: elements sorted, whatever order repr() gives under the hash seed.
  const text = JSON.stringify(
    {
      cells: [
        cell(
          "{'pear', 'apple', 'kiwi', 'fig', 'date', 'cherry'}",
          "{'apple', 'cherry', 'date', 'fig', 'kiwi', 'pear'}",
        ),
        cell("{'k': frozenset({'b', 'a', 'c', 'd'})}", "{'k': frozenset({'a', 'b', 'c', 'd'})}"),
      ],
      metadata: { kernelspec: { language: "python", name: "python3" } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
  const raw = await run("sets.ipynb", text);
  equal(raw.status, "failed", "repr() order differs from IPython's sorted order under seed 0");
  const sanitized = await run("sets.ipynb", text, { sanitize: true });
  equal(sanitized.status, "passed", JSON.stringify(sanitized.steps.map((s) => s.failures)));
});
