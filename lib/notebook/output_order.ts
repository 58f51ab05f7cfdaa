/**
 * The order of a cell's outputs, as Jupyter keeps them: stream text and rich displays
 * interleaved as they were written, and only what came after the last `clear_output()`. A
 * notebook's steps record it (`StepReport.actual.outputs`) so that `--update` writes a cell that
 * prints, displays and prints again in that order.
 *
 * @module
 */

import type { ExecutionEvent, ExecutionResult } from "../results.ts";
import type { OutputOrderEntry } from "../report/model.ts";

/**
 * Awaits `running` (an `Execution`, or any awaitable result) and, when it can be iterated for
 * its events, the order of its outputs: each stream's text as a span of the result's
 * `stdout`/`stderr` (consecutive chunks of one stream merged, as Jupyter merges them), each
 * display as its index in the result's `displays`.
 *
 * A `clear_output()` drops what came before, as Jupyter drops it from the cell: the result
 * returned then holds only the text printed after it (`clear_output(wait=True)`: cleared when
 * the next output comes), so the cell compares with what Jupyter saved.
 *
 * @example
 * ```ts ignore
 * import { resultInOrder } from "./output_order.ts";
 * const { result, outputs } = await resultInOrder(session.execute("print(1)"));
 * ```
 */
export async function resultInOrder(
  running: PromiseLike<ExecutionResult>,
): Promise<{ result: ExecutionResult; outputs?: OutputOrderEntry[] }> {
  if (!(Symbol.asyncIterator in running)) return { result: await running };
  const outputs: OutputOrderEntry[] = [];
  const written = { stdout: 0, stderr: 0 };
  // Where the text kept after the last clear starts; displays the result still lists but
  // Jupyter cleared (a clear that waited for a print: the display list clears on a display).
  let kept = { stdout: 0, stderr: 0 };
  let displays = 0;
  let stale = 0;
  let clearPending = false;
  const clear = () => {
    outputs.length = 0;
    kept = { ...written };
    displays = 0;
    clearPending = false;
  };
  let result: ExecutionResult | undefined;
  for await (const event of running as AsyncIterable<ExecutionEvent>) {
    if (event.type === "output") {
      if (clearPending) {
        stale = displays;
        clear();
      }
      const start = written[event.stream];
      const end = (written[event.stream] += event.data.length);
      const last = outputs.at(-1);
      if (last && "stream" in last && last.stream === event.stream) last.end = end;
      else outputs.push({ stream: event.stream, start, end });
    } else if (event.type === "display" && !event.update) {
      // The result's display list clears on the next display after `clear_output(wait=True)`.
      if (clearPending) clear();
      if (stale > 0 && displays === 0) stale = 0;
      outputs.push({ display: displays++ });
    } else if (event.type === "clear_output") {
      if (event.wait) clearPending = true;
      else {
        stale = 0;
        clear();
      }
    } else if (event.type === "result") {
      result = event.result;
      break;
    }
  }
  result ??= await running;
  if (kept.stdout === 0 && kept.stderr === 0 && stale === 0) return { result, outputs };
  for (const o of outputs) {
    if ("stream" in o) {
      o.start -= kept[o.stream];
      o.end -= kept[o.stream];
    }
  }
  return {
    result: {
      ...result,
      stdout: result.stdout.slice(kept.stdout),
      stderr: result.stderr.slice(kept.stderr),
      ...(result.displays ? { displays: result.displays.slice(stale) } : {}),
    },
    outputs,
  };
}
