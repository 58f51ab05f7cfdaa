import { deepStrictEqual, equal } from "node:assert/strict";
import type { FailureKind } from "../lib/report/model.ts";
import type { ExecutionResult } from "../lib/results.ts";
import { checkExecution, failureAbout } from "../lib/scenario/check.ts";
import type { ExecStep, Expectation } from "../lib/scenario/types.ts";

function step(expect: Partial<Expectation>): ExecStep {
  return {
    kind: "exec",
    index: 0,
    line: 1,
    column: 1,
    session: "main",
    code: "",
    normalize: [],
    expect: { hasValue: false, ...expect },
  };
}
function result(fields: Partial<ExecutionResult>): ExecutionResult {
  return { status: "ok", stdout: "", stderr: "", executionCount: 1, durationMs: 1, ...fields };
}
const zde = { type: "ZeroDivisionError", message: "division by zero", traceback: "" };

const kinds: [string, Partial<Expectation>, Partial<ExecutionResult>, FailureKind[]][] = [
  ["an unexpected error fails the status", {}, { status: "error", error: zde }, ["status"]],
  ["another exception type is error.type", { error: { type: "ValueError" } }, {
    status: "error",
    error: zde,
  }, ["error.type"]],
  ["another message is error.message", { error: { type: "ZeroDivisionError", message: "x" } }, {
    status: "error",
    error: zde,
  }, ["error.message"]],
  ["type and message apart", { error: { type: "ValueError", message: "x" } }, {
    status: "error",
    error: zde,
  }, ["error.type", "error.message"]],
  [
    "no exception under an explicit status is error.type",
    {
      status: "timeout",
      error: { type: "KeyboardInterrupt" },
    },
    { status: "timeout" },
    ["error.type"],
  ],
  ["text and value keys", { stdout: "a", stderr: "b", repr: "1", value: 1, hasValue: true }, {
    stdout: "x",
    stderr: "y",
    repr: "2",
    value: 2,
  }, ["stdout", "stderr", "repr", "value"]],
  ["duration", { durationMaxMs: 10 }, { durationMs: 20 }, ["duration"]],
];
for (const [what, expect, r, want] of kinds) {
  Deno.test(`checkExecution failure kinds: ${what}`, () => {
    deepStrictEqual(checkExecution(step(expect), result(r)).map((f) => f.kind), want);
  });
}

Deno.test("a failure's key is its expectation's key in the file", () => {
  deepStrictEqual(failureAbout("error.type"), { kind: "error.type", key: "error" });
  deepStrictEqual(failureAbout("error.message"), { kind: "error.message", key: "error" });
  deepStrictEqual(failureAbout("stdout"), { kind: "stdout", key: "stdout" });
});

Deno.test("a duration failure says both durations the way reports show them", () => {
  const [failure] = checkExecution(step({ durationMaxMs: 1500 }), result({ durationMs: 2000 }));
  equal(failure.message, "took 2.00s, more than 1.50s");
});
