/**
 * What a scenario file should expect of an execution that already ran: the one rule that
 * `pyrepl3 record` (a step per entry) and `--update` (a step without `expect`) both write by.
 *
 * @module
 */

import type { StepReport } from "../report/model.ts";

/** What an execution gave, as a step report keeps it; an `ExecutionResult` has it all. */
export type Outcome = NonNullable<StepReport["actual"]>;

/** An `expect` mapping as it is written to a scenario file (only the keys that apply). */
export interface WrittenExpectation {
  /** The status, when it is neither `ok` nor an `error` that the `error` key already says. */
  status?: string;
  /** The stdout, when not empty. */
  stdout?: string;
  /** The stderr, when not empty. */
  stderr?: string;
  /** The value, when it has a plain YAML/JSON form. */
  value?: unknown;
  /** The repr, when the value has no plain form. */
  repr?: string;
  /** The exception's type, when the status is `error`. */
  error?: string;
}

/**
 * The expectation that `outcome` meets exactly: `status` when it is not `ok` (and not an
 * `error` with its exception), `stdout` and `stderr` when not empty, the `value` when it has a
 * plain form or else its `repr`, and the exception's type for an error.
 *
 * The message is left out (it often holds data that changes); for `timeout` and `interrupted`
 * the `KeyboardInterrupt` is implied by the status, so no `error` is written for them.
 *
 * @example
 * ```ts
 * import { expectationFrom } from "./expectation.ts";
 * const expect = expectationFrom({ status: "ok", stdout: "hi\n", stderr: "", value: 2, repr: "2" });
 * if (JSON.stringify(expect) !== '{"stdout":"hi\\n","value":2}') throw new Error(JSON.stringify(expect));
 * ```
 */
export function expectationFrom(outcome: Outcome): WrittenExpectation {
  const expect: WrittenExpectation = {};
  const raised = outcome.status === "error" && outcome.error !== undefined;
  if (outcome.status !== "ok" && !raised) expect.status = outcome.status;
  if (outcome.stdout !== "") expect.stdout = outcome.stdout;
  if (outcome.stderr !== "") expect.stderr = outcome.stderr;
  if (outcome.status === "ok") Object.assign(expect, valueExpectation(outcome));
  if (raised) expect.error = outcome.error!.type;
  return expect;
}

/**
 * How to expect the value of `outcome`: `{value}` when it has a plain form, else `{repr}`,
 * else nothing (no trailing expression, or `None`).
 */
export function valueExpectation(outcome: Pick<Outcome, "value" | "repr">): {
  value?: unknown;
  repr?: string;
} {
  const plain = plainValue(outcome.value);
  if (plain !== undefined && plain !== null) return { value: plain };
  if (outcome.repr !== undefined) return { repr: outcome.repr };
  return {};
}

/**
 * The value as plain YAML/JSON data that `valuesEqual` matches against the original, or
 * undefined when it has none (non-finite numbers, bytes, maps with other keys). An integer
 * beyond 2^53 stays a bigint, written as its exact digits (see `jsonWithIntegers`).
 *
 * @example
 * ```ts
 * import { plainValue } from "./expectation.ts";
 * if (plainValue(42n) !== 42) throw new Error("a safe bigint is a number");
 * if (plainValue(2n ** 70n) !== 2n ** 70n) throw new Error("a big one stays exact");
 * ```
 */
export function plainValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }
  if (Array.isArray(value) || value instanceof Set) {
    const items = [...value].map(plainValue);
    return items.some((i) => i === undefined) ? undefined : items;
  }
  const entries = value instanceof Map
    ? [...value.entries()]
    : typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
    ? Object.entries(value as Record<string, unknown>)
    : undefined;
  if (entries === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const plain = plainValue(v);
    if (typeof k !== "string" || plain === undefined) return undefined;
    out[k] = plain;
  }
  return out;
}

/**
 * `JSON.stringify` with integers of any size exact: a bigint is written as its digits (as
 * Python writes an int), never as a string or `1.18e+21`.
 *
 * @example
 * ```ts
 * import { jsonWithIntegers } from "./expectation.ts";
 * const text = jsonWithIntegers({ value: 2n ** 70n });
 * if (text !== '{"value":1180591620717411303424}') throw new Error(text);
 * ```
 */
export function jsonWithIntegers(value: unknown, indent?: string | number): string {
  return JSON.stringify(
    value,
    (_key, v) => typeof v === "bigint" ? rawJson(v.toString()) : v,
    indent,
  );
}

// JSON.rawJSON (ES2025, in V8) is not in Deno's TypeScript lib yet.
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
