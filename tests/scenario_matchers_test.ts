import { deepStrictEqual, equal } from "node:assert/strict";
import { checkExecution } from "../lib/scenario/check.ts";
import { parseScenario } from "../lib/scenario/load.ts";
import { matchText, valuesEqual } from "../lib/scenario/matchers.ts";
import type { ExecStep, TextExpectation } from "../lib/scenario/types.ts";
import type { ExecutionResult } from "../lib/results.ts";

const text: [string, string, TextExpectation, boolean][] = [
  ["exact text matches", "Alice\n", "Alice\n", true],
  ["exact text differs on a missing newline", "Alice\n", "Alice", false],
  ["contains", "Hello Alice", { contains: "Alice" }, true],
  ["contains fails", "Hello Bob", { contains: "Alice" }, false],
  ["not_contains", "all good", { not_contains: "Traceback" }, true],
  ["not_contains fails", "Traceback (most recent", { not_contains: "Traceback" }, false],
  ["matches searches", "took 1.5s\n", { matches: "\\d+\\.\\ds" }, true],
  ["matches can anchor", "took 1.5s\n", { matches: "^\\d" }, false],
  ["lines exact", "a\nb\n", { lines: ["a", "b"] }, true],
  ["lines with ... in the middle", "a\nx\ny\nb\n", { lines: ["a", "...", "b"] }, true],
  ["... matches no line", "a\nb", { lines: ["a", "...", "b"] }, true],
  ["... at both ends", "x\na\ny\n", { lines: ["...", "a", "..."] }, true],
  ["lines in the wrong order", "b\na\n", { lines: ["a", "...", "b"] }, false],
  ["lines: an extra line fails without ...", "a\nb\nc\n", { lines: ["a", "b"] }, false],
  ["lines of empty output", "", { lines: [] }, true],
  [
    "contains and not_contains both hold",
    "Hello Alice",
    { contains: "Al", not_contains: "Bob" },
    true,
  ],
  [
    "contains holds, not_contains fails",
    "Alice, Bob",
    { contains: "Al", not_contains: "Bob" },
    false,
  ],
  ["contains fails, matches holds", "took 2s", { contains: "ms", matches: "\\ds" }, false],
  ["every key holds", "a\nb\n", { contains: "b", matches: "(?m)^a$", lines: ["a", "..."] }, true],
];
for (const [what, actual, expected, ok] of text) {
  Deno.test(`text matcher: ${what}`, () => equal(matchText(actual, expected, []).ok, ok));
}

Deno.test("text matchers normalize both sides", () => {
  equal(matchText("<A at 0x7f12>", "<A at 0x99>", ["addresses"]).ok, true);
  equal(matchText("x  \ny\n", { lines: ["x", "y  "] }, ["trailing_whitespace"]).ok, true);
  equal(matchText("<A at 0x7f12>", { contains: "0x1" }, ["addresses"]).ok, true);
});

const values: [string, unknown, unknown, boolean][] = [
  ["null matches no value", null, undefined, true],
  ["null does not match 0", null, 0, false],
  ["number matches an equal bigint", 42, 42n, true],
  ["number does not match a string", 42, "42", false],
  ["mapping matches an object", { a: 1, b: [true] }, { a: 1, b: [true] }, true],
  ["mapping matches a Map", { a: 1 }, new Map([["a", 1n]]), true],
  ["mapping with a missing key", { a: 1, b: 2 }, { a: 1 }, false],
  ["mapping with an extra key", { a: 1 }, { a: 1, b: 2 }, false],
  ["list matches a set in any order", [1, 2], new Set([2, 1]), true],
  ["list of different length", [1, 2], [1, 2, 3], false],
  ["nested difference", { a: [{ b: 1 }] }, { a: [{ b: 2 }] }, false],
  ["string", "Hello Alice", "Hello Alice", true],
];
for (const [what, expected, actual, ok] of values) {
  Deno.test(`value equality: ${what}`, () => equal(valuesEqual(expected, actual), ok));
}

function step(expect: string): ExecStep {
  const s = parseScenario(`steps:\n  - exec: x\n    expect: ${expect}\n`, "t.yaml").steps[0];
  if (s.kind !== "exec") throw new Error("exec expected");
  return s;
}
function result(r: Partial<ExecutionResult>): ExecutionResult {
  return { status: "ok", stdout: "", stderr: "", executionCount: 1, durationMs: 5, ...r };
}
const zde = { type: "ZeroDivisionError", message: "division by zero", traceback: "Traceback ..." };

const checks: [string, string, Partial<ExecutionResult>, string[]][] = [
  ["an empty expect still wants status ok", "{}", { status: "error", error: zde }, ["status"]],
  ["an empty expect passes on ok", "{}", {}, []],
  ["error without status accepts the error", "{error: ZeroDivisionError}", {
    status: "error",
    error: zde,
  }, []],
  ["error fails when nothing was raised", "{error: ZeroDivisionError}", {}, ["status"]],
  ["error of another type", "{error: ValueError}", { status: "error", error: zde }, ["error"]],
  ["error message matcher", "{error: {type: ZeroDivisionError, message: {contains: zero}}}", {
    status: "error",
    error: zde,
  }, []],
  ["error message mismatch", "{error: {type: ZeroDivisionError, message: nope}}", {
    status: "error",
    error: zde,
  }, ["error"]],
  ["explicit status", "{status: timeout}", { status: "timeout" }, []],
  ["explicit status mismatch", "{status: interrupted}", {}, ["status"]],
  ["stdout and stderr", "{stdout: a, stderr: b}", { stdout: "a", stderr: "c" }, ["stderr"]],
  ["value", "{value: [1, 2]}", { value: [1, 2] }, []],
  ["value mismatch", "{value: 3}", { value: 4 }, ["value"]],
  ["value null wants None", "{value: null}", { value: 1 }, ["value"]],
  ["repr", "{repr: \"'a'\"}", { repr: "'a'" }, []],
  ["duration max", "{duration: {max: 10ms}}", { durationMs: 50 }, ["duration"]],
  ["duration within max", "{duration: {max: 1s}}", { durationMs: 50 }, []],
];
for (const [what, expect, r, keys] of checks) {
  Deno.test(`checkExecution: ${what}`, () => {
    deepStrictEqual(checkExecution(step(expect), result(r)).map((f) => f.key), keys);
  });
}

Deno.test("an unexpected error's failure shows its type, message and traceback", () => {
  const [f] = checkExecution(step("{value: 1}"), result({ status: "error", error: zde }));
  equal(f.message, "expected status ok, got error (ZeroDivisionError: division by zero)");
  equal(f.actual, "error\nZeroDivisionError: division by zero\nTraceback ...");
});

Deno.test("each failing key of a combined matcher is its own failure", () => {
  const s = step("{stdout: {contains: zz, not_contains: hi, matches: '^hi$', lines: [hi]}}");
  const failures = checkExecution(s, result({ stdout: "hi\n" }));
  deepStrictEqual(failures.map((f) => [f.key, f.message]), [
    ["stdout", 'stdout does not contain "zz"'],
    ["stdout", 'stdout contains "hi"'],
  ]);
});

Deno.test("a combined error message matcher reports each failing key", () => {
  const s = step("{error: {type: ZeroDivisionError, message: {contains: nope, matches: '^div'}}}");
  const failures = checkExecution(s, result({ status: "error", error: zde }));
  deepStrictEqual(failures.map((f) => f.message), ['error message does not contain "nope"']);
});
