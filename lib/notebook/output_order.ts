/**
 * The order of a cell's outputs, as Jupyter keeps them: stream text and rich displays
 * interleaved as they were written. A notebook's steps record it (`StepReport.actual.outputs`)
 * so that `--update` writes a cell that prints, displays and prints again in that order.
 *
 * @module
 */

import type { ExecutionEvent, ExecutionResult } from "../results.ts";
import type { OutputOrderEntry } from "../report/model.ts";

/**
 * Awaits `running` (an `Execution`, or any awaitable result) and, when it can be iterated for
 * its events, the order of its outputs: each stream's text as a span of the result's
 * `stdout`/`stderr` (consecutive chunks of one stream merged, as Jupyter merges them), each
 * display as its index in the result's `displays`. A `clear_output()` drops what came before,
 * as it does in Jupyter and in `displays`.
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
  let displays = 0;
  let clearPending = false;
  const clear = () => {
    outputs.length = 0;
    displays = 0;
    clearPending = false;
  };
  for await (const event of running as AsyncIterable<ExecutionEvent>) {
    if (event.type === "output") {
      const start = written[event.stream];
      const end = (written[event.stream] += event.data.length);
      const last = outputs.at(-1);
      if (last && "stream" in last && last.stream === event.stream) last.end = end;
      else outputs.push({ stream: event.stream, start, end });
    } else if (event.type === "display" && !event.update) {
      // The display list clears on the next display after `clear_output(wait=True)`: so does this.
      if (clearPending) clear();
      outputs.push({ display: displays++ });
    } else if (event.type === "clear_output") {
      if (event.wait) clearPending = true;
      else clear();
    } else if (event.type === "result") {
      return { result: event.result, outputs };
    }
  }
  return { result: await running, outputs };
}
