/**
 * Checks one execution's result against an exec step's expectations.
 *
 * @module
 */

import type { ExecutionResult } from "../results.ts";
import type { ExpectationFailure, FailureKind, StepReport } from "../report/model.ts";
import { formatDuration } from "../report/_format.ts";
import { matchTextKeys, valuesEqual } from "./matchers.ts";
import { pythonRepr } from "../report/_python_repr.ts";
import type { ExecStep, TextExpectation } from "./types.ts";
import { checkDoctest } from "../docs/check.ts";
import { checkBundle, checkDisplays } from "./_bundle_check.ts";

/** Options of `checkExecution()`. */
export interface CheckOptions {
  /** The directory image snapshots are relative to (the step's file's). Default: the current one. */
  dir?: string;
}

/**
 * Returns every expectation of `step` that `result` fails (empty when the step passes).
 *
 * Without `status` and `error`, status `ok` is expected; with `error` and no `status`, any
 * status but `ok` is accepted as long as the error matches.
 *
 * @example
 * ```ts
 * import { checkExecution } from "./check.ts";
 * import { loadScenario } from "./load.ts";
 * const scenario = await loadScenario("scenarios/greeting.yaml");
 * const step = scenario.steps[1];
 * if (step.kind === "exec") {
 *   checkExecution(step, { status: "ok", value: "Hello Alice", stdout: "", stderr: "", executionCount: 2, durationMs: 1 });
 *   // []
 * }
 * ```
 */
export function checkExecution(
  step: ExecStep,
  result: ExecutionResult,
  options: CheckOptions = {},
): ExpectationFailure[] {
  if (step.doctest) return checkDoctest(step, result); // a document's example: doctest judged it
  const e = step.expect;
  const failures: ExpectationFailure[] = [];
  const errorText = result.error
    ? `${result.error.type}: ${result.error.message}${
      result.error.traceback ? `\n${result.error.traceback}` : ""
    }`
    : "";
  if (e.status !== undefined ? result.status !== e.status : !e.error && result.status !== "ok") {
    const want = e.status ?? "ok";
    failures.push({
      ...failureAbout("status"),
      message: `expected status ${want}, got ${result.status}` +
        (result.error ? ` (${result.error.type}: ${result.error.message})` : ""),
      expected: want,
      actual: errorText ? `${result.status}\n${errorText}` : result.status,
    });
  } else if (e.status === undefined && e.error && result.status === "ok") {
    failures.push({
      ...failureAbout("status"),
      message: `expected ${e.error.type} to be raised, but the code ran without error`,
      expected: "error",
      actual: "ok",
    });
  }
  const text = (
    key: "stdout" | "stderr" | "repr",
    want: TextExpectation | undefined,
    got: string,
  ) => {
    if (want === undefined) return;
    for (const m of matchTextKeys(got, want, step.normalize)) {
      if (m.ok) continue;
      failures.push({
        ...failureAbout(key),
        message: `${key} ${m.reason}`,
        expected: m.expected,
        actual: m.actual,
      });
    }
  };
  text("stdout", e.stdout, result.stdout);
  text("stderr", e.stderr, result.stderr);
  text("repr", e.repr, result.repr ?? "");
  if (e.hasValue && !valuesEqual(e.value, result.value)) {
    failures.push({
      ...failureAbout("value"),
      message: "value differs",
      // As Python shows them; the actual side by its own repr (a tuple stays a tuple).
      expected: pythonRepr(e.value ?? null),
      actual: result.repr ?? pythonRepr(result.value ?? null),
    });
  }
  if (e.error) {
    if (!result.error) {
      if (e.status !== undefined || result.status !== "ok") {
        failures.push({
          ...failureAbout("error.type"),
          message: `expected ${e.error.type}, but no error was raised`,
          expected: e.error.type,
          actual: "(no error)",
        });
      }
    } else {
      if (result.error.type !== e.error.type) {
        failures.push({
          ...failureAbout("error.type"),
          message: `expected ${e.error.type}, got ${result.error.type}: ${result.error.message}`,
          expected: e.error.type,
          actual: errorText,
        });
      }
      if (e.error.message !== undefined) {
        for (const m of matchTextKeys(result.error.message, e.error.message, step.normalize)) {
          if (m.ok) continue;
          failures.push({
            ...failureAbout("error.message"),
            message: `error message ${m.reason}`,
            expected: m.expected,
            actual: m.actual,
          });
        }
      }
    }
  }
  const where = { dir: options.dir ?? Deno.cwd(), normalize: step.normalize };
  if (e.display) failures.push(...checkDisplays(e.display, result.displays ?? [], where));
  if (e.data) failures.push(...checkBundle(e.data, result.data, null, where));
  if (e.durationMaxMs !== undefined && result.durationMs > e.durationMaxMs) {
    failures.push({
      ...failureAbout("duration"),
      message: `took ${formatDuration(result.durationMs)}, more than ${
        formatDuration(e.durationMaxMs)
      }`,
      expected: `<= ${e.durationMaxMs}ms`,
      actual: `${Math.round(result.durationMs)}ms`,
    });
  }
  return failures;
}

/**
 * The `kind` and `key` of a failure about `kind`: the key is the expectation's key in the file
 * (`error` for both `error.type` and `error.message`).
 *
 * @example
 * ```ts
 * import { failureAbout } from "./check.ts";
 * const { kind, key } = failureAbout("error.message");
 * if (kind !== "error.message" || key !== "error") throw new Error(key);
 * ```
 */
export function failureAbout(kind: FailureKind): Pick<ExpectationFailure, "kind" | "key"> {
  return { kind, key: kind.startsWith("error.") ? "error" : kind };
}

/** The actual outcome of an execution, as a step report keeps it. */
export function actualOf(result: ExecutionResult): NonNullable<StepReport["actual"]> {
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    ...("value" in result && result.value !== undefined ? { value: result.value } : {}),
    ...(result.repr !== undefined ? { repr: result.repr } : {}),
    ...(result.error ? { error: { type: result.error.type, message: result.error.message } } : {}),
    ...(result.data !== undefined ? { data: result.data } : {}),
    ...(result.displays?.length ? { displays: result.displays } : {}),
  };
}
