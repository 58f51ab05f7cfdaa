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
 * message is doctest's own report (`Failed example: ... Expected: ... Got: ...`), `expected` the
 * document's output and `actual` what the document should say instead (what `--update` writes).
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
    const why = result.error ? ` (${result.error.type}: ${result.error.message})` : "";
    return [{
      kind: "status",
      key: "status",
      message: `the example did not finish: status ${result.status}${why}`,
      expected: "ok",
      actual: result.status,
    }];
  }
  if (verdict.outcome !== "failed") return [];
  const source = step.code.replace(/\n$/, "").split("\n").map((l) => `    ${l}`).join("\n");
  return [{
    kind: result.error && result.error.type !== "DocTestFailure" && !step.doctest?.excMsg
      ? "error.type"
      : "stdout",
    key: DOCTEST_FAILURE_KEY,
    message: `Failed example:\n${source}\n${(verdict.report ?? "").replace(/\n$/, "")}`,
    expected: step.doctest?.want ?? "",
    actual: verdict.want ?? "",
  }];
}
