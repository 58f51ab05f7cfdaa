/**
 * Approximate numbers in expected values: `{ approx: 0.3, rel: 1e-9, abs: 0, nan_ok: false }`,
 * with pytest.approx's semantics.
 *
 * A mapping is an approx matcher when it has an `approx` key, its other keys are among `rel`,
 * `abs` and `nan_ok`, `rel`/`abs` are non-negative numbers and `nan_ok` a boolean. It matches a
 * number within tolerance of `approx` (or, when `approx` is a list or mapping, a list or mapping
 * whose numbers are each within tolerance), and it also matches a dict that equals it literally,
 * so a dict that happens to have an `approx` key can still be expected as written.
 *
 * @module
 */

/** How far a number may be from the expected one. */
export interface Tolerance {
  /** Relative tolerance (pytest's `rel`); undefined when only `abs` was given. */
  rel?: number;
  /** Absolute tolerance (pytest's `abs`). */
  abs?: number;
  /** Whether NaN equals NaN. */
  nanOk: boolean;
}

/** An approx matcher as written in a scenario file. */
export interface ApproxMatcher {
  /** The expected number, or a list or mapping of them. */
  approx: unknown;
  /** The tolerance the mapping states. */
  tolerance: Tolerance;
}

const KEYS = new Set(["approx", "rel", "abs", "nan_ok"]);
const DEFAULT_REL = 1e-6;
const DEFAULT_ABS = 1e-12;

/**
 * The approx matcher `value` stands for, or undefined when it is no approx mapping.
 *
 * @example
 * ```ts
 * import { approxMatcher } from "./approx.ts";
 * approxMatcher({ approx: 0.3, rel: 1e-9 })?.tolerance; // { rel: 1e-9, abs: undefined, nanOk: false }
 * approxMatcher({ approx: 0.3, unit: "s" }); // undefined: a plain mapping
 * ```
 */
export function approxMatcher(value: unknown): ApproxMatcher | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const v = value as Record<string, unknown>;
  if (!("approx" in v) || Object.keys(v).some((k) => !KEYS.has(k))) return undefined;
  const tolerance = (x: unknown) =>
    x === undefined || (typeof x === "number" && x >= 0) ||
    (typeof x === "bigint" && x >= 0n);
  if (!tolerance(v.rel) || !tolerance(v.abs)) return undefined;
  if (v.nan_ok !== undefined && typeof v.nan_ok !== "boolean") return undefined;
  return {
    approx: v.approx,
    tolerance: {
      rel: v.rel === undefined ? undefined : Number(v.rel),
      abs: v.abs === undefined ? undefined : Number(v.abs),
      nanOk: v.nan_ok === true,
    },
  };
}

/**
 * pytest.approx on two numbers: `|actual - expected| <= max(rel * |expected|, abs)` (only `abs`
 * when `rel` is not given but `abs` is; defaults rel 1e-6, abs 1e-12); infinities only equal
 * themselves; NaN equals NaN only with `nanOk`.
 *
 * @example
 * ```ts
 * import { approxEqual } from "./approx.ts";
 * approxEqual(0.3, 0.1 + 0.2, { nanOk: false }); // true
 * ```
 */
export function approxEqual(expected: number, actual: number, tolerance: Tolerance): boolean {
  if (Number.isNaN(expected) || Number.isNaN(actual)) {
    return tolerance.nanOk && Number.isNaN(expected) && Number.isNaN(actual);
  }
  if (expected === actual) return true;
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return false;
  return Math.abs(actual - expected) <= allowed(expected, tolerance);
}

/**
 * pytest.approx on two integers, exactly: `2**70 + 1` is not within `rel: 0, abs: 0` of `2**70`,
 * though both are the same float.
 *
 * @example
 * ```ts
 * import { approxEqualIntegers } from "./approx.ts";
 * approxEqualIntegers(2n ** 70n, 2n ** 70n + 1n, { rel: 0, abs: 0, nanOk: false }); // false
 * ```
 */
export function approxEqualIntegers(
  expected: bigint,
  actual: bigint,
  tolerance: Tolerance,
): boolean {
  const diff = actual > expected ? actual - expected : expected - actual;
  return diff === 0n || Number(diff) <= allowed(Number(expected), tolerance);
}

/** The largest difference `tolerance` allows around `expected`. */
function allowed(expected: number, tolerance: Tolerance): number {
  if (tolerance.rel === undefined && tolerance.abs !== undefined) return tolerance.abs;
  return Math.max(
    (tolerance.rel ?? DEFAULT_REL) * Math.abs(expected),
    tolerance.abs ?? DEFAULT_ABS,
  );
}

/**
 * How an approx number reads in a failure message, like pytest: `0.3 ± 3.0e-07`.
 *
 * @example
 * ```ts
 * import { renderApprox } from "./approx.ts";
 * renderApprox(0.3, { nanOk: false }); // "0.3 ± 3.0e-07"
 * ```
 */
export function renderApprox(expected: number, tolerance: Tolerance): string {
  if (!Number.isFinite(expected)) return String(expected);
  // Python's `{:.1e}`, as pytest prints it: a sign and at least two exponent digits.
  const [mantissa, exponent] = allowed(expected, tolerance).toExponential(1).split("e");
  const sign = exponent.startsWith("-") ? "-" : "+";
  return `${expected} ± ${mantissa}e${sign}${exponent.replace(/^[-+]/, "").padStart(2, "0")}`;
}
