/**
 * Notebooks as an adversarial user writes them: outputs interleaved with displays, tracebacks,
 * malformed files, other format versions, huge outputs, crashing cells, and the CLI's edges.
 */
import { equal, match, ok, throws } from "node:assert/strict";
import { loadNotebook, updateNotebook } from "../lib/notebook/mod.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { runNotebook as run, tempDir } from "./_helpers/notebooks.ts";

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
