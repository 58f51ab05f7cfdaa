import { equal, ok, rejects } from "node:assert/strict";
import { updateNotebook } from "../lib/notebook/mod.ts";
import { ScenarioChangedError } from "../lib/scenario/errors.ts";
import type { ScenarioReport } from "../lib/report/model.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";
import {
  NOTEBOOK_FIXTURES as FIXTURES,
  runNotebook as run,
  tempDir,
} from "./_helpers/notebooks.ts";

/** Runs and updates `path`; returns the report and the text after the update. */
async function update(path: string): Promise<{ report: ScenarioReport; changed: boolean }> {
  const text = await Deno.readTextFile(path);
  const report = await run(path, text);
  const changed = await updateNotebook(path, report, { expectedText: text });
  return { report, changed };
}

/** The notebook with every cell's outputs and execution_count taken out. */
function withoutOutputs(text: string): unknown {
  const nb = JSON.parse(text);
  for (const cell of nb.cells) {
    delete cell.outputs;
    delete cell.execution_count;
  }
  return nb;
}

/** nbformat's own `reads` then `writes` of `text`, or undefined when nbformat is not installed. */
async function nbformatRewrite(text: string): Promise<string | undefined> {
  const script = "import sys, nbformat\n" +
    "nb = nbformat.reads(sys.stdin.read(), as_version=nbformat.NO_CONVERT)\n" +
    "nbformat.validate(nb)\n" +
    "sys.stdout.write(nbformat.writes(nb) + '\\n')\n";
  for (const python of ["/usr/bin/python3", TEST_PYTHON]) {
    try {
      const child = new Deno.Command(python, {
        args: ["-c", script],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const out = await child.output();
      if (out.success) return new TextDecoder().decode(out.stdout);
      const err = new TextDecoder().decode(out.stderr);
      if (!err.includes("No module named 'nbformat'")) throw new Error(err);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  console.log("nbformat is not installed (apt-get install python3-nbformat): format check skipped");
  return undefined;
}

Deno.test("notebook --update: stale outputs and counts come back byte for byte as IPython wrote them", async () => {
  const original = await Deno.readTextFile(`${FIXTURES}basic.ipynb`);
  await using dir = await tempDir();
  const path = `${dir.path}/basic.ipynb`;
  // Outputs gone stale: changed text, a missing stream, a wrong value, counts out of order.
  const stale = original
    .replace('"hello\\n",', '"stale\\n",')
    .replace(/"careful\\n"/, '"gone\\n"')
    .replace('"42"', '"41"')
    .replaceAll('"execution_count": 3', '"execution_count": 17');
  ok(stale !== original);
  await Deno.writeTextFile(path, stale);
  const { report, changed } = await update(path);
  ok(changed);
  equal(report.updated, true);
  equal(report.expectationsWritten, 3);
  equal(report.status, "passed");
  equal(report.steps.filter((s) => s.updated).length, 3);
  const after = await Deno.readTextFile(path);
  equal(after, original);
  // And the notebook is green again.
  equal((await run(path, after)).status, "passed");
  // Nothing to write: the file is left alone.
  equal((await update(path)).changed, false);
});

Deno.test("notebook --update: new outputs are written as nbformat writes them, nothing else changes", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/tags.ipynb`;
  // Every run cell without its outputs: the update writes stdout, a value, an error, CRLF-free.
  const text = (await Deno.readTextFile(`${FIXTURES}tags.ipynb`))
    .replace(
      '"1 / 0"',
      '"print(\'a\\\\nb\')\\n",\n    "import sys; print(\'w\', file=sys.stderr)\\n",\n    "1 / 0"',
    );
  const nb = JSON.parse(text);
  nb.cells[4].source = ["{'k': [1, 2]}"];
  for (const cell of nb.cells) cell.outputs = [];
  // Formatted by nbformat's rules (the fixtures are), so the comparison below is exact.
  const emptied = await nbformatRewrite(JSON.stringify(nb)) ??
    JSON.stringify(nb, null, 1) + "\n";
  await Deno.writeTextFile(path, emptied);
  const { report, changed } = await update(path);
  ok(changed, JSON.stringify(report.steps.map((s) => s.failures)));
  const after = await Deno.readTextFile(path);
  equal(JSON.stringify(withoutOutputs(after)), JSON.stringify(withoutOutputs(emptied)));
  const cells = JSON.parse(after).cells;
  // Skipped cells keep what they had; run cells are counted 1, 2, 3.
  equal(cells[0].execution_count, null);
  equal(
    cells.slice(2).map((c: { execution_count: number }) => c.execution_count).join(),
    "1,2,3",
  );
  equal(
    JSON.stringify(cells[2].outputs.map((o: { output_type: string }) => o.output_type)),
    '["stream","stream","error"]',
  );
  equal(JSON.stringify(cells[2].outputs[0].text), '["a\\n","b\\n"]');
  equal(cells[2].outputs[2].ename, "ZeroDivisionError");
  // nbval-ignore-output: nothing is compared, so nothing is written.
  equal(cells[3].outputs.length, 0);
  equal(
    JSON.stringify(cells[4].outputs),
    JSON.stringify([
      {
        data: { "text/plain": ["{'k': [1, 2]}"] },
        execution_count: 3,
        metadata: {},
        output_type: "execute_result",
      },
    ]),
  );
  const rewritten = await nbformatRewrite(after);
  if (rewritten !== undefined) {
    equal(after, rewritten, "nbformat writes the updated notebook identically");
  }
  equal((await run(path, after)).status, "passed");
});

Deno.test("notebook --update: a cell whose failure no output fixes is left as it was", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/tags.ipynb`;
  // Untagged, the error fails the cell whatever its outputs say: the update leaves it.
  const text = (await Deno.readTextFile(`${FIXTURES}tags.ipynb`))
    .replace('"raises-exception"', '"other"')
    .replace('"after\\n"', '"before\\n"');
  await Deno.writeTextFile(path, text);
  const { report, changed } = await update(path);
  ok(changed);
  equal(report.status, "failed");
  equal(report.steps[0].status, "failed");
  equal(report.steps[2].updated, true);
  const after = JSON.parse(await Deno.readTextFile(path));
  equal(
    JSON.stringify(after.cells[2].outputs),
    JSON.stringify(JSON.parse(text).cells[2].outputs),
  );
});

Deno.test("notebook --update: a notebook changed on disk since it was read is not written", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/basic.ipynb`;
  const text = (await Deno.readTextFile(`${FIXTURES}basic.ipynb`)).replace('"42"', '"41"');
  await Deno.writeTextFile(path, text);
  const report = await run(path, text);
  const edited = text.replace("Basics", "Basics, edited");
  await Deno.writeTextFile(path, edited);
  await rejects(updateNotebook(path, report, { expectedText: text }), ScenarioChangedError);
  equal(await Deno.readTextFile(path), edited);
});
