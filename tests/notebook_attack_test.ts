/**
 * Notebooks as an adversarial user writes them: outputs interleaved with displays, tracebacks,
 * malformed files, other format versions, huge outputs, crashing cells, and the CLI's edges.
 */
import { equal, match, ok, throws } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";
import { loadNotebook, updateNotebook } from "../lib/notebook/mod.ts";
import { updatedText } from "../lib/notebook/update.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { notebookFixture, runNotebook as run, tempDir } from "./_helpers/notebooks.ts";

/** A code cell as nbformat 4.5 writes it. */
function code(source: string, outputs: unknown[] = [], id = crypto.randomUUID().slice(0, 8)) {
  return { cell_type: "code", execution_count: null, id, metadata: {}, outputs, source: [source] };
}

/** A notebook of `cells`, formatted as nbformat writes it. */
function notebook(cells: unknown[], extra: Record<string, unknown> = {}): string {
  const nb = {
    cells,
    metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" } },
    nbformat: 4,
    nbformat_minor: 5,
    ...extra,
  };
  return JSON.stringify(nb, null, 1) + "\n";
}

/** Checks `path` with nbformat.validate when /usr/bin/python3 has nbformat; says so when not. */
async function nbformatValidate(path: string): Promise<void> {
  const script = "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], 4))";
  try {
    const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", script, path] }).output();
    const err = new TextDecoder().decode(out.stderr);
    if (err.includes("No module named 'nbformat'")) {
      console.log("nbformat is not importable by /usr/bin/python3: validation skipped");
      return;
    }
    ok(out.success, `nbformat.validate refused ${path}: ${err}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    console.log("/usr/bin/python3 is missing: nbformat validation skipped");
  }
}

/** Runs and updates the notebook at `path`; returns the notebook read back. */
async function updateFile(path: string) {
  const text = await Deno.readTextFile(path);
  const report = await run(path, text);
  const changed = await updateNotebook(path, report, { expectedText: text });
  return { report, changed, after: await Deno.readTextFile(path) };
}

Deno.test("notebook --update: prints and displays of a cell are written in the order they came", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/order.ipynb`;
  const source = "import sys\nprint('one')\nprint('err', file=sys.stderr)\n" +
    "display('shown')\nprint('two')\nprint('three')\ndisplay('again')";
  await Deno.writeTextFile(path, notebook([code(source)]));
  const { changed, after } = await updateFile(path);
  ok(changed);
  const outputs = JSON.parse(after).cells[0].outputs;
  equal(
    JSON.stringify(outputs.map((o: Record<string, unknown>) => o.name ?? o.output_type)),
    '["stdout","stderr","display_data","stdout","display_data"]',
  );
  // Consecutive chunks of one stream are one output, as Jupyter merges them.
  equal(JSON.stringify(outputs[3].text), '["two\\n","three\\n"]');
  equal(JSON.stringify(outputs[2].data["text/plain"]), `["'shown'"]`);
  await nbformatValidate(path);
  equal((await run(path, after)).status, "passed");
});

Deno.test("notebook --update: an error output gets its traceback as a list of lines", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/error.ipynb`;
  const cell = code("def f():\n    return 1 / 0\nf()");
  (cell.metadata as Record<string, unknown>).tags = ["raises-exception"];
  const stale = {
    ename: "ValueError",
    evalue: "old",
    output_type: "error",
    traceback: ["ValueError: old"],
  };
  cell.outputs = [stale];
  await Deno.writeTextFile(path, notebook([cell]));
  const { changed, after } = await updateFile(path);
  ok(changed);
  const [error] = JSON.parse(after).cells[0].outputs;
  equal(error.ename, "ZeroDivisionError");
  equal(error.traceback[0], "Traceback (most recent call last):");
  ok(error.traceback.some((l: string) => l.includes("return 1 / 0")), error.traceback.join("\n"));
  equal(error.traceback.at(-1), "ZeroDivisionError: division by zero");
  ok(error.traceback.every((l: string) => !l.includes("\n")));
  await nbformatValidate(path);
});

Deno.test("notebook: an nbformat 3 notebook (worksheets, no cells) is refused as nbformat 3", () => {
  const v3 = JSON.stringify({ metadata: {}, nbformat: 3, nbformat_minor: 0, worksheets: [] });
  throws(
    () => loadNotebook("old.ipynb", v3),
    (e: unknown) =>
      e instanceof ScenarioValidationError &&
      /^old\.ipynb:1:1: unsupported notebook format: nbformat 3; only nbformat 4/.test(e.message),
  );
});

Deno.test("notebook: IPython magics and shell commands are refused at their line, naming the skip tag", () => {
  const text = notebook([
    code("import os"),
    { ...code("%%time\nx = 1"), source: ["%%time\n", "x = 1"] },
    code("s = '''\n%d items\n!not a command\n'''"),
    { ...code("!ls"), metadata: { tags: ["skip"] } },
  ]);
  throws(
    () => loadNotebook("magic.ipynb", text),
    (e: unknown) => {
      ok(e instanceof ScenarioValidationError);
      const line = text.split("\n").findIndex((l) => l.includes('"%%time\\n"')) + 1;
      match(
        e.message,
        new RegExp(`^magic\\.ipynb:${line}:\\d+: cell 2: "%%time" is IPython syntax`),
      );
      match(e.message, /tag the cell 'skip'/);
      // The string's lines and the skipped cell are not IPython syntax to refuse.
      equal(e.message.split("\n").length, 1, e.message);
      return true;
    },
  );
});

Deno.test("cli: malformed notebooks (trailing comma, truncated, empty) exit 2 at file:line, no stack trace", async () => {
  const good = notebook([
    code("print(1)", [{ name: "stdout", output_type: "stream", text: ["1\n"] }]),
  ]);
  const dir = await tempScenarios({
    "comma.ipynb": good.replace('"python3"\n', '"python3",\n'),
    "truncated.ipynb": good.slice(0, 150),
    "empty.ipynb": "",
  });
  try {
    // The comma is reported at its own line, not at the brace after it.
    const comma = good.split("\n").findIndex((l) => l.includes('"python3"')) + 1;
    for (const [name, line] of [["comma", comma], ["truncated", 0], ["empty", 1]] as const) {
      const run = await runCli([`${dir}/${name}.ipynb`, "--python", TEST_PYTHON]);
      equal(run.code, 2, run.stdout + run.stderr);
      match(
        run.stderr,
        new RegExp(
          `${name}\\.ipynb:${line || "\\d+"}:\\d+: not a notebook: the file is not valid JSON`,
        ),
      );
      ok(!run.stderr.includes("    at "), run.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notebook --update: a UTF-8 byte order mark, CRLF lines and non-ASCII text are kept", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/bom.ipynb`;
  const out = (text: string) => [{ name: "stdout", output_type: "stream", text: [text] }];
  const fresh = notebook([
    { ...code("print('héllo ✓ 😀')", out("héllo ✓ 😀\n")), execution_count: 1 },
    { ...code("print(2)", out("2\n")), execution_count: 2 },
  ]);
  const stale = fresh.replace('"2\\n"', '"3\\n"');
  const bytes = (text: string) =>
    new TextEncoder().encode("\ufeff" + text.replaceAll("\n", "\r\n"));
  await Deno.writeFile(path, bytes(stale));
  const { changed } = await updateFile(path);
  ok(changed);
  equal(
    new TextDecoder("utf-8", { ignoreBOM: true }).decode(await Deno.readFile(path)),
    "\ufeff" + fresh.replaceAll("\n", "\r\n"),
  );
});

Deno.test("notebook --update: a cell that crashes the interpreter keeps its outputs and count; later cells are skipped", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/crash.ipynb`;
  const out = (text: string) => [{ name: "stdout", output_type: "stream", text: [text] }];
  const text = notebook([
    code("print(1)", out("0\n")),
    code("import os\nos._exit(3)", out("saved\n")),
    code("print(2)", out("2\n")),
  ]);
  await Deno.writeTextFile(path, text);
  const { report, changed, after } = await updateFile(path);
  equal(report.steps.map((s) => s.status).join(), "passed,failed,skipped");
  // The skipped cell says why: the crash took the session's state with it.
  match(
    report.steps[2].skippedBecause ?? "",
    /^the interpreter crashed at line \d+; the session's state is gone$/,
  );
  ok(changed);
  const [first, crashed, last] = JSON.parse(after).cells;
  equal(first.execution_count, 1);
  const before = JSON.parse(text).cells;
  equal(JSON.stringify(crashed), JSON.stringify(before[1]));
  equal(JSON.stringify(last), JSON.stringify(before[2]));
});

Deno.test("notebook --update: a cell's 17 M character output (over the 16 Mi session cap) is written whole", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/big.ipynb`;
  const line = "x".repeat(99) + "\n";
  const lines = Array<string>(170_000).fill(line);
  const saved = (text: string[]) => [{ name: "stdout", output_type: "stream", text }];
  const fresh = notebook([{
    ...code("print(('x' * 99 + '\\n') * 170_000, end='')", saved(lines)),
    execution_count: 1,
  }]);
  lines[85_000] = "y".repeat(99) + "\n";
  await Deno.writeTextFile(
    path,
    notebook([{
      ...code("print(('x' * 99 + '\\n') * 170_000, end='')", saved(lines)),
      execution_count: 1,
    }])
      .replaceAll(/"id": "[^"]+"/g, '"id": "same"'),
  );
  const { report, changed, after } = await updateFile(path);
  equal(report.status, "passed", JSON.stringify(report.steps[0].failures.map((f) => f.message)));
  ok(changed);
  equal(after, fresh.replaceAll(/"id": "[^"]+"/g, '"id": "same"'));
});

Deno.test("notebook --update: a truncated output is never written into the notebook", async () => {
  const text = notebook([code("print('x' * 10**9)", [])]);
  const [scenario] = loadNotebook("huge.ipynb", text);
  const report = await run("huge.ipynb", text.replace("10**9", "3"));
  ok(scenario.steps.length === 1 && report.steps[0].actual);
  report.steps[0].actual.stdout =
    "xxx\n[pyrepl3: output truncated, 999 more characters were not kept]\n";
  const { text: written, rewritten } = updatedText(text, "huge.ipynb", report);
  equal(written, text);
  equal(rewritten.length, 0);
  match(
    report.steps[0].failures.at(-1)!.message,
    /did not write this cell: its stdout went over the output cap/,
  );
});

Deno.test("notebook --update: a notebook real Jupyter ran with rich outputs changes only in the stale outputs", async () => {
  const original = await notebookFixture("rich.ipynb");
  await using dir = await tempDir();
  const path = `${dir.path}/rich.ipynb`;
  // Two stale outputs: the print after an HTML display, and the value after a PNG display.
  const stale = original.replace('"after\\n"', '"later\\n"').replace('"42"', '"41"');
  ok(stale !== original);
  await Deno.writeTextFile(path, stale);
  const { report, changed, after } = await updateFile(path);
  ok(changed);
  equal(report.expectationsWritten, 2);
  // Byte for byte what Jupyter wrote: order of prints and displays, images, HTML, counts.
  equal(after, original);
  await nbformatValidate(path);
});

Deno.test("notebook: what a cell shows before clear_output() is neither compared nor written, as in Jupyter", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/clear.ipynb`;
  const source = (wait: string) =>
    `print('a')\ndisplay('x')\nclear_output(${wait})\nprint('b')\ndisplay('y')`;
  // What Jupyter saved for both cells (nbclient and ipykernel).
  const saved = [
    { name: "stdout", output_type: "stream", text: ["b\n"] },
    { data: { "text/plain": ["'y'"] }, metadata: {}, output_type: "display_data" },
  ];
  const text = notebook([code(source(""), saved), code(source("wait=True"), saved)]);
  const report = await run(path, text);
  equal(report.status, "passed", JSON.stringify(report.steps.map((s) => s.failures)));
  // Emptied, --update writes back what Jupyter saved.
  const emptied = notebook([code(source("")), code(source("wait=True"))]);
  await Deno.writeTextFile(path, emptied);
  const { changed, after } = await updateFile(path);
  ok(changed);
  for (const cell of JSON.parse(after).cells) {
    equal(JSON.stringify(cell.outputs), JSON.stringify(saved));
  }
});

Deno.test("notebook --update: a notebook of 20000 cells is written in one pass, every count in place", () => {
  const n = 20_000;
  const out = (i: number) => [{ name: "stdout", output_type: "stream", text: [`${i}\n`] }];
  const cells = Array.from({ length: n }, (_, i) => ({
    ...code(`print(${i})`, out(i), `c${i}`),
    execution_count: i + 1,
  }));
  const fresh = notebook(cells);
  const stale = notebook([{ ...cells[0], outputs: out(-1) }, ...cells.slice(1)]);
  const report = {
    name: "many",
    file: "many.ipynb",
    tags: [],
    status: "failed" as const,
    durationMs: 0,
    steps: cells.map((_, i) => ({
      index: i,
      kind: "exec",
      label: `print(${i})`,
      line: 1,
      column: 1,
      status: i === 0 ? "failed" as const : "passed" as const,
      durationMs: 0,
      failures: i === 0 ? [{ kind: "stdout" as const, key: "stdout", message: "differs" }] : [],
      actual: {
        status: "ok",
        stdout: `${i}\n`,
        stderr: "",
        outputs: [{ stream: "stdout" as const, start: 0, end: `${i}\n`.length }],
      },
    })),
  };
  const { text, rewritten } = updatedText(stale, "many.ipynb", report);
  equal(rewritten.length, 1);
  equal(text, fresh);
});
