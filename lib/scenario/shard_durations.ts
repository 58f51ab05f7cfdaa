/**
 * Shards balanced by time (`--shard I/N --durations REPORT`): the durations a previous JSON or
 * JUnit report recorded, and a greedy longest-processing-time split over them, so one slow file
 * no longer makes one CI machine finish long after the others (pytest-split's idea).
 *
 * @module
 */

import { normalize } from "node:path";
import { XMLParser } from "npm:fast-xml-parser@5.12.1";
import { PyReplError } from "../errors.ts";

/** A durations report that is neither a pyrepl3 JSON report nor JUnit XML. */
export class DurationsReportError extends PyReplError {
  override name = "DurationsReportError";
}

/** Recorded durations in milliseconds, by scenario (see `durationKey`). */
export type Durations = ReadonlyMap<string, number>;

/** The key a scenario's duration is recorded under: its file (normalized) and its name. */
export function durationKey(scenario: { file: string; name: string }): string {
  return `${normalize(scenario.file)}\u0000${scenario.name}`;
}

/**
 * Reads the durations of a previous run's report: the `json` reporter's document, or a JUnit
 * XML one (`<testcase name file|classname time>`, as `--reporter junit` and `merge-junit` write).
 *
 * @param source names the report in error messages.
 * @throws {DurationsReportError} when `text` is neither.
 * @example
 * ```ts
 * import { durationKey, parseDurations } from "./shard_durations.ts";
 * const xml = `<testsuites><testsuite><testcase name="a" file="s/a.yaml" time="1.5"/></testsuite></testsuites>`;
 * const durations = parseDurations(xml);
 * if (durations.get(durationKey({ file: "s/a.yaml", name: "a" })) !== 1500) throw new Error("ms");
 * ```
 */
export function parseDurations(text: string, source = "durations report"): Durations {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return fromJson(trimmed, source);
  if (trimmed.startsWith("<")) return fromJunit(trimmed, source);
  throw new DurationsReportError(
    `${source}: not a JSON or JUnit report; pass the file --reporter json or --reporter junit wrote`,
  );
}

function fromJson(text: string, source: string): Durations {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new DurationsReportError(`${source}: invalid JSON: ${(error as Error).message}`);
  }
  const scenarios = (data as { scenarios?: unknown })?.scenarios;
  if (!Array.isArray(scenarios)) {
    throw new DurationsReportError(`${source}: a JSON report has a "scenarios" array`);
  }
  const durations = new Map<string, number>();
  for (const s of scenarios) {
    const { file, name, durationMs } = s as Record<string, unknown>;
    if (typeof file === "string" && typeof name === "string" && isDuration(durationMs)) {
      durations.set(durationKey({ file, name }), durationMs);
    }
  }
  return durations;
}

function fromJunit(text: string, source: string): Durations {
  let doc: unknown;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      parseAttributeValue: false,
      isArray: (name) => ["testsuite", "testcase"].includes(name),
    }).parse(text);
  } catch (error) {
    throw new DurationsReportError(`${source}: invalid XML: ${(error as Error).message}`);
  }
  const root = doc as Record<string, unknown>;
  const suites = (root.testsuites as Record<string, unknown> | undefined)?.testsuite ??
    root.testsuite;
  if (!Array.isArray(suites)) {
    throw new DurationsReportError(`${source}: not a JUnit report (no <testsuite>)`);
  }
  const durations = new Map<string, number>();
  for (const suite of suites) {
    const cases = (suite as Record<string, unknown>)?.testcase;
    for (const c of Array.isArray(cases) ? cases : []) {
      const { name, file, classname, time } = c as Record<string, unknown>;
      const where = typeof file === "string" ? file : classname;
      const ms = Number(time) * 1000;
      if (typeof name === "string" && typeof where === "string" && isDuration(ms)) {
        durations.set(durationKey({ file: where, name }), ms);
      }
    }
  }
  return durations;
}

function isDuration(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** N shards and what each is expected to take. */
export interface BalancedShards<T> {
  /** `shards[i]` holds the items of shard `i + 1`, in the order they were given. */
  shards: T[][];
  /** Expected milliseconds of each shard: the sum of its items' durations. */
  expectedMs: number[];
  /** The duration each item was given (recorded, or the median of the recorded ones). */
  estimateMs: Map<T, number>;
}

/**
 * Splits `items` into `total` shards by greedy longest-processing-time: longest first, each to
 * the shard with the least time so far. Items without a recorded duration count as the median of
 * the recorded ones (1 ms when none is). Deterministic: equal durations are taken in file-path
 * then name order, and equal shards by lowest number, so every CI machine computes the same split
 * and every item lands in exactly one shard.
 *
 * @example
 * ```ts
 * import { balanceShards, durationKey } from "./shard_durations.ts";
 * const items = ["slow", "a", "b", "c"].map((name) => ({ file: `${name}.yaml`, name }));
 * // "slow" took 30 ms last time, "a" 10 ms; "b" and "c" are new: they count as the median, 20 ms.
 * const durations = new Map([[durationKey(items[0]), 30], [durationKey(items[1]), 10]]);
 * const { shards, expectedMs } = balanceShards(items, durations, 3);
 * if (shards[0].length !== 1 || shards[0][0].name !== "slow") throw new Error("slow alone");
 * if (expectedMs.join() !== "30,30,20") throw new Error(expectedMs.join());
 * ```
 */
export function balanceShards<T extends { file: string; name: string }>(
  items: readonly T[],
  durations: Durations,
  total: number,
): BalancedShards<T> {
  const known = items.map((item) => durations.get(durationKey(item)))
    .filter((ms): ms is number => ms !== undefined);
  const fallback = known.length === 0 ? 1 : median(known);
  const estimateMs = new Map<T, number>(
    items.map((item) => [item, durations.get(durationKey(item)) ?? fallback]),
  );
  const order = [...items].sort((a, b) =>
    estimateMs.get(b)! - estimateMs.get(a)! || compare(a.file, b.file) || compare(a.name, b.name)
  );
  const expectedMs = new Array<number>(total).fill(0);
  const assigned = new Map<T, number>();
  for (const item of order) {
    let best = 0;
    for (let i = 1; i < total; i++) if (expectedMs[i] < expectedMs[best]) best = i;
    expectedMs[best] += estimateMs.get(item)!;
    assigned.set(item, best);
  }
  const shards = Array.from(
    { length: total },
    (_, i) => items.filter((x) => assigned.get(x) === i),
  );
  return { shards, expectedMs, estimateMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
