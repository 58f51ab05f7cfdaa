/**
 * `%matplotlib inline`, the first line of so many notebooks, is taken as the no-op it is here (the
 * session's inline backend is the default); every other magic is still refused at its line.
 */
import { equal, match, throws } from "node:assert/strict";
import { loadNotebook, withoutInlineMatplotlib } from "../lib/notebook/load.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { runNotebook } from "./_helpers/notebooks.ts";

function notebook(sources: string[][], outputs: unknown[][] = []): string {
  return JSON.stringify(
    {
      cells: sources.map((source, i) => ({
        cell_type: "code",
        execution_count: i + 1,
        id: `c${i}`,
        metadata: {},
        outputs: outputs[i] ?? [],
        source,
      })),
      metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  ) + "\n";
}

Deno.test("withoutInlineMatplotlib keeps the line count and touches only %matplotlib [inline]", () => {
  equal(
    withoutInlineMatplotlib("%matplotlib inline\nx = 1\n  %matplotlib\n%matplotlib widget"),
    "pass  # %matplotlib inline\nx = 1\n  pass  # %matplotlib\n%matplotlib widget",
  );
  equal(withoutInlineMatplotlib("s = '%matplotlib inline'"), "s = '%matplotlib inline'");
});

Deno.test("a notebook starting with %matplotlib inline runs and passes", async () => {
  const text = notebook(
    [["%matplotlib inline\n", "import sys\n", "print('ready')"], ["21 * 2"]],
    [
      [{ name: "stdout", output_type: "stream", text: ["ready\n"] }],
      [{
        data: { "text/plain": ["42"] },
        execution_count: 2,
        metadata: {},
        output_type: "execute_result",
      }],
    ],
  );
  const report = await runNotebook("inline.ipynb", text);
  equal(
    report.status,
    "passed",
    JSON.stringify(report.steps.map((s) => s.failures.length ? s.failures : s.status)),
  );
});

Deno.test("other matplotlib backends and magics are still refused with the reason", () => {
  const text = notebook([["%matplotlib widget\n", "x = 1"]]);
  throws(() => loadNotebook("widget.ipynb", text), (e: unknown) => {
    equal(e instanceof ScenarioValidationError, true);
    match(
      (e as Error).message,
      /"%matplotlib widget" is IPython syntax .*only '%matplotlib inline'/,
    );
    return true;
  });
});
