/**
 * The machine-readable reporter: the `RunReport` itself as JSON.
 *
 * @module
 */

import type { RunReport } from "./model.ts";
import { bundleToJson } from "./_bundle.ts";

/**
 * The report as indented JSON (with a final newline), shaped exactly like `RunReport`.
 *
 * Python values that JSON cannot hold are written as their nearest JSON form: a big integer
 * (`bigint`) as a decimal string, bytes as an array of numbers, a `Map` as an object and a
 * `Set` as an array. In the MIME bundles of a step's `actual.data` and `actual.displays[].data`,
 * binary types (`image/png`...) are base64 strings.
 *
 * @example
 * ```ts
 * import { formatJson } from "./json.ts";
 * const report = { scenarios: [], passed: 0, failed: 0, durationMs: 1, startedAt: "x" };
 * if (JSON.parse(formatJson(report)).startedAt !== "x") throw new Error("round trip");
 * ```
 */
export function formatJson(report: RunReport): string {
  return JSON.stringify(report, jsonSafe, 2) + "\n";
}

function jsonSafe(this: unknown, key: string, value: unknown): unknown {
  if (key === "data" && isBundleHolder(this) && typeof value === "object" && value !== null) {
    return bundleToJson(value as Record<string, unknown>);
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Array.from(value);
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), v]));
  }
  if (value instanceof Set) return [...value];
  return value;
}

/** A step's `actual` or one of its displays: the objects whose `data` is a MIME bundle. */
function isBundleHolder(holder: unknown): boolean {
  if (typeof holder !== "object" || holder === null) return false;
  return "metadata" in holder || ("status" in holder && "stdout" in holder);
}
