import { deepStrictEqual } from "node:assert/strict";
import { parse } from "yaml";
import { stepFromResult } from "../lib/cli/record_file.ts";
import type { ExecutionResult } from "../lib/results.ts";
import { actualOf } from "../lib/scenario/check.ts";
import { expectationFrom, plainValue } from "../lib/scenario/expectation.ts";
import { updateScenarioText } from "../lib/scenario/update.ts";

function result(fields: Partial<ExecutionResult>): ExecutionResult {
  return { status: "ok", stdout: "", stderr: "", executionCount: 1, durationMs: 1, ...fields };
}
const zde = { type: "ZeroDivisionError", message: "division by zero", traceback: "Traceback..." };
const kbi = { type: "KeyboardInterrupt", message: "", traceback: "Traceback..." };

const cases: [string, ExecutionResult, Record<string, unknown>][] = [
  ["nothing to expect", result({}), {}],
  ["stdout and a plain value", result({ stdout: "1\n", value: 2, repr: "2" }), {
    stdout: "1\n",
    value: 2,
  }],
  ["stderr when not empty", result({ stderr: "careful\n", value: 8, repr: "8" }), {
    stderr: "careful\n",
    value: 8,
  }],
  ["a small int that came as a bigint", result({ value: 42n, repr: "42" }), { value: 42 }],
  ["a big int by its exact digits", result({ value: 2n ** 70n, repr: "1180591620717411303424" }), {
    value: 2n ** 70n,
  }],
  ["a dict", result({ value: { a: [1, null] }, repr: "{'a': [1, None]}" }), {
    value: { a: [1, null] },
  }],
  ["a dict with int keys by its repr", result({ value: new Map([[1, 2]]), repr: "{1: 2}" }), {
    repr: "{1: 2}",
  }],
  ["an error by its type", result({ status: "error", error: zde, stdout: "a\n" }), {
    stdout: "a\n",
    error: "ZeroDivisionError",
  }],
  ["a timeout by its status alone", result({ status: "timeout", error: kbi }), {
    status: "timeout",
  }],
  ["a crash", result({ status: "crashed" }), { status: "crashed" }],
];

/** The YAML as data, with integers beyond 2^53 exact (as the scenario loader reads them). */
function exact(text: string) {
  return parse(
    text,
    (_key, value) =>
      typeof value === "bigint" && Number.isSafeInteger(Number(value)) ? Number(value) : value,
    { intAsBigInt: true },
  );
}

for (const [what, r, expect] of cases) {
  Deno.test(`expectationFrom: ${what}`, () => deepStrictEqual({ ...expectationFrom(r) }, expect));

  Deno.test(`record and --update write the same expectation: ${what}`, () => {
    const recorded = stepFromResult("code", r).expect ?? {};
    const updated = updateScenarioText("steps:\n  - exec: code\n", {
      name: "x",
      file: "x.yaml",
      tags: [],
      status: "passed",
      durationMs: 1,
      steps: [{
        index: 0,
        kind: "exec",
        label: "code",
        line: 2,
        column: 5,
        status: "passed",
        durationMs: 1,
        failures: [],
        actual: actualOf(r),
      }],
    });
    // A crash is never written by --update: the step keeps failing (record writes what it saw).
    const written = r.status === "crashed" ? {} : { ...recorded };
    deepStrictEqual(exact(updated).steps[0].expect ?? {}, written);
    deepStrictEqual({ ...recorded }, expect);
  });
}

Deno.test("plainValue has no form for what YAML cannot hold faithfully", () => {
  for (
    const value of [NaN, Infinity, new Uint8Array([1]), new Map([[1, 1]]), [1, NaN]]
  ) {
    deepStrictEqual(plainValue(value), undefined, String(value));
  }
  deepStrictEqual(plainValue(new Map([["a", new Set([1n])]])), { a: [1] });
  deepStrictEqual(plainValue([2n ** 64n]), [2n ** 64n], "a big int stays exact");
});
