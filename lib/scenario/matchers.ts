/**
 * Comparing what came back with what a scenario expects: text matchers and value equality.
 *
 * @module
 */

import { normalize } from "./normalize.ts";
import {
  approxEqual,
  approxEqualIntegers,
  approxMatcher,
  renderApprox,
  type Tolerance,
} from "./approx.ts";
import { compileRegex } from "./regex.ts";
import type { Normalizer, TextExpectation } from "./types.ts";

/** The verdict of one comparison; `expected` is the text to show in a diff. */
export interface MatchResult {
  ok: boolean;
  /** Why it failed, when it did. */
  reason?: string;
  /** The expectation rendered as text (after normalizing). */
  expected: string;
  /** The actual text (after normalizing). */
  actual: string;
}

/** The line that stands for any number of lines in a `lines` expectation. */
export const ANY_LINES = "...";

/**
 * Checks `actual` against a text expectation, normalizing both sides first (a `matches` regex is
 * applied to the normalized output as written, in linear time: see `regex.ts`). A matcher
 * mapping passes when every key holds; the reason names each key that does not.
 *
 * @example
 * ```ts
 * import { matchText } from "./matchers.ts";
 * matchText("a\nb\nc\n", { lines: ["a", "...", "c"] }, []).ok; // true
 * matchText("Hello Alice", { contains: "Alice", not_contains: "Bob" }, []).ok; // true
 * ```
 */
export function matchText(
  actual: string,
  expected: TextExpectation,
  normalizers: readonly Normalizer[],
): MatchResult {
  const results = matchTextKeys(actual, expected, normalizers);
  if (results.length === 1) return results[0];
  const failed = results.filter((r) => !r.ok);
  return {
    ok: failed.length === 0,
    reason: failed.map((r) => r.reason).join("; "),
    expected: results.map((r) => r.expected).join("\n"),
    actual: results[0].actual,
  };
}

/**
 * Like `matchText`, one result per key of a matcher mapping (in the order contains,
 * not_contains, matches, lines), so that each failing key can be reported on its own.
 *
 * @example
 * ```ts
 * import { matchTextKeys } from "./matchers.ts";
 * const results = matchTextKeys("ok", { contains: "x", not_contains: "o" }, []);
 * results.map((r) => r.ok); // [false, false]
 * ```
 */
export function matchTextKeys(
  actual: string,
  expected: TextExpectation,
  normalizers: readonly Normalizer[],
): MatchResult[] {
  const got = normalize(actual, normalizers);
  if (typeof expected === "string") {
    const want = normalize(expected, normalizers);
    return [{ ok: got === want, reason: "differs", expected: want, actual: got }];
  }
  const results: MatchResult[] = [];
  if (expected.contains !== undefined) {
    const want = normalize(expected.contains, normalizers);
    results.push({
      ok: got.includes(want),
      reason: `does not contain ${JSON.stringify(want)}`,
      expected: want,
      actual: got,
    });
  }
  if (expected.not_contains !== undefined) {
    const want = normalize(expected.not_contains, normalizers);
    results.push({
      ok: !got.includes(want),
      reason: `contains ${JSON.stringify(want)}`,
      expected: `(not) ${want}`,
      actual: got,
    });
  }
  if (expected.matches !== undefined) {
    results.push({
      ok: compileRegex(expected.matches).test(got),
      reason: `does not match /${expected.matches}/`,
      expected: `/${expected.matches}/`,
      actual: got,
    });
  }
  if (expected.lines !== undefined) {
    const want = expected.lines.map((l) => l === ANY_LINES ? l : normalize(l, normalizers));
    const ok = matchLines(splitLines(got), want);
    results.push({ ok, reason: "lines differ", expected: want.join("\n"), actual: got });
  }
  return results;
}

/** Splits output into lines; one trailing newline ends the last line rather than starting one. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  return text.replace(/\n$/, "").split("\n");
}

function matchLines(lines: readonly string[], pattern: readonly string[]): boolean {
  // row[j] after step i: lines[i..] matches pattern[j..]. Bottom-up keeps `...` linear, not
  // exponential; two rows, not a table of lines x pattern (a million lines would not fit).
  let next = new Uint8Array(pattern.length + 1);
  let row = new Uint8Array(pattern.length + 1);
  for (let i = lines.length; i >= 0; i--) {
    row[pattern.length] = i === lines.length ? 1 : 0;
    for (let j = pattern.length - 1; j >= 0; j--) {
      if (pattern[j] === ANY_LINES) {
        row[j] = row[j + 1] || (i < lines.length ? next[j] : 0);
      } else row[j] = i < lines.length && lines[i] === pattern[j] ? next[j + 1] : 0;
    }
    [next, row] = [row, next];
  }
  return next[0] === 1;
}

/**
 * Deep equality between a value from a scenario file (YAML/JSON data) and a converted Python
 * value: `null` matches `None`/no value, a number matches an equal bigint, a mapping matches a
 * `Map` or an object with the same entries, a list matches an array (or a `Set` of the same items).
 * An `{approx: X, rel, abs, nan_ok}` mapping anywhere in `expected` matches numbers within
 * tolerance (pytest.approx; see `approx.ts`), or a dict equal to it as written.
 *
 * @example
 * ```ts
 * import { valuesEqual } from "./matchers.ts";
 * valuesEqual({ a: [1, 2] }, new Map([["a", [1n, 2]]])); // true
 * valuesEqual([1, { approx: 0.3 }], [1, 0.1 + 0.2]); // true
 * ```
 */
export function valuesEqual(expected: unknown, actual: unknown): boolean {
  return equalWithin(expected, actual, undefined);
}

function equalWithin(
  expected: unknown,
  actual: unknown,
  tolerance: Tolerance | undefined,
): boolean {
  const approx = approxMatcher(expected);
  if (approx !== undefined && equalWithin(approx.approx, actual, approx.tolerance)) return true;
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (typeof expected === "number" || typeof expected === "bigint") {
    // pytest.approx(1) == True, as True == 1 in Python (but approx(True) is only a bool).
    if (typeof actual === "boolean" && tolerance !== undefined) actual = Number(actual);
    if (typeof actual === "number" || typeof actual === "bigint") {
      if (tolerance !== undefined && isInteger(expected) && isInteger(actual)) {
        return approxEqualIntegers(BigInt(expected), BigInt(actual), tolerance);
      }
      if (tolerance !== undefined) return approxEqual(Number(expected), Number(actual), tolerance);
      // deno-lint-ignore eqeqeq -- loose equality compares a number with a bigint by value.
      return expected == actual || (Number.isNaN(Number(expected)) && Number.isNaN(Number(actual)));
    }
    return false;
  }
  if (typeof expected !== "object") return Object.is(expected, actual);
  if (Array.isArray(expected)) {
    if (actual instanceof Set) return setEquals(expected, actual, tolerance);
    if (ArrayBuffer.isView(actual) && !(actual instanceof DataView)) {
      return equalWithin(expected, Array.from(actual as unknown as ArrayLike<number>), tolerance);
    }
    return Array.isArray(actual) && actual.length === expected.length &&
      expected.every((item, i) => equalWithin(item, actual[i], tolerance));
  }
  const want = Object.entries(expected as Record<string, unknown>);
  const got = entriesOf(actual);
  if (got === undefined || got.length !== want.length) return false;
  const byKey = new Map(got.map(([k, v]) => [String(k), v]));
  return want.every(([k, v]) => byKey.has(k) && equalWithin(v, byKey.get(k), tolerance));
}

/** A bigint, or a number that is an integer exactly (not a float too big to be one in Python). */
function isInteger(x: number | bigint): boolean {
  return typeof x === "bigint" || Number.isSafeInteger(x);
}

function setEquals(expected: unknown[], actual: Set<unknown>, tolerance?: Tolerance): boolean {
  const items = [...actual];
  return items.length === expected.length &&
    expected.every((e) => items.some((a) => equalWithin(e, a, tolerance)));
}

function entriesOf(value: unknown): [unknown, unknown][] | undefined {
  if (value instanceof Map) return [...value.entries()];
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return Object.entries(value);
  }
  return undefined;
}

/** Renders a value as readable text for a failure message (bigints as plain numbers). */
export function renderValue(value: unknown): string {
  if (value === undefined) return "(no value)";
  return JSON.stringify(value, (_k, v) => {
    const approx = approxMatcher(v);
    if (approx !== undefined && typeof approx.approx === "number") {
      return renderApprox(approx.approx, approx.tolerance);
    }
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : `${v}n`;
    if (v instanceof Map) {
      return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x]));
    }
    if (v instanceof Set) return [...v];
    if (v instanceof Uint8Array) return `bytes(${Array.from(v).join(",")})`;
    return v;
  }, 2) ?? String(value);
}
