/**
 * Checking a document example's execution: the verdict is doctest's, made in the worker
 * (`runner/doctest_support.py`); this turns it into the failures every reporter shows.
 *
 * @module
 */

import type { ExpectationFailure } from "../report/model.ts";
import type { ExecutionResult } from "../results.ts";
import type { ExecStep } from "../scenario/types.ts";
import { DOCTEST_FAILURE_KEY } from "./update.ts";

/**
 * The failures of a doctest example: none when doctest passed (or skipped) it; else one, whose
 * message says what differs and then gives doctest's own report (`Expected: ... Got: ...`),
 * `expected` the document's output and `actual` what the document should say instead (what
 * `--update` writes).
 *
 * @example
 * ```ts
 * import { checkDoctest } from "./check.ts";
 * const step = { index: 0, line: 3, column: 1, session: "main", kind: "exec" as const, code: "1 + 1\n",
 *   expect: { hasValue: false }, normalize: [], doctest: { want: "2\n" } };
 * const failures = checkDoctest(step, { status: "ok", stdout: "2\n", stderr: "", executionCount: 1,
 *   durationMs: 1, doctest: { outcome: "passed" } });
 * if (failures.length !== 0) throw new Error("passed");
 * ```
 */
export function checkDoctest(step: ExecStep, result: ExecutionResult): ExpectationFailure[] {
  const verdict = result.doctest;
  if (verdict === undefined || !["ok", "error"].includes(result.status)) {
    // A timeout's KeyboardInterrupt says nothing the status does not (the limit follows).
    const why = result.error && result.status !== "timeout"
      ? ` (${result.error.type}${result.error.message ? `: ${result.error.message}` : ""})`
      : "";
    return [{
      kind: "status",
      key: "status",
      message: `the example did not finish: status ${result.status}${why}`,
      expected: "ok",
      actual: result.status,
    }];
  }
  if (verdict.outcome !== "failed") return [];
  const raised = result.error && result.error.type !== "DocTestFailure" ? result.error : undefined;
  const summary = raised && !step.doctest?.excMsg
    ? `${raised.type}: ${raised.message} was raised, which the example does not expect`
    : raised
    ? `the exception differs from the example's`
    : step.doctest?.excMsg
    ? "the example expects an exception, but none was raised"
    : "the output differs from the example's";
  // doctest's own report follows, indented (REPORT_NDIFF and the other report flags shape it).
  const report = (verdict.report ?? "").replace(/\n$/, "").replace(/^/gm, "    ");
  return [{
    kind: raised && !step.doctest?.excMsg ? "error.type" : "stdout",
    key: DOCTEST_FAILURE_KEY,
    message: `${summary} (doctest)\n${report}`,
    expected: step.doctest?.want ?? "",
    actual: verdict.want ?? "",
  }];
}
