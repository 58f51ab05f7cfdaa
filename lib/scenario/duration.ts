/**
 * Durations as scenario files write them: `10s`, `500ms`, `2m`, or a bare number of seconds.
 * (Durations are shown to people by the one `formatDuration` in `../report/_format.ts`.)
 *
 * @module
 */

const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m)?\s*$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/**
 * Parses a duration into milliseconds, or returns `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("500ms"); // 500
 * parseDuration("2m"); // 120000
 * parseDuration(1.5); // 1500
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  const m = DURATION.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? "s") as keyof typeof UNIT_MS;
  return Number(m[1]) * UNIT_MS[unit];
}
