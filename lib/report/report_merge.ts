/**
 * Merging the JSON or HTML reports of CI shards into one `RunReport` (`pyrepl3 merge-reports`).
 *
 * @module
 */

import { PyReplError } from "../errors.ts";
import { REPORT_DATA_ID } from "./html.ts";
import type { RunReport, ScenarioReport } from "./model.ts";

/** A report that cannot be read or merged; the CLI prints its message and exits with 2. */
export class ReportMergeError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "ReportMergeError";
}

const DATA_START = `<script type="application/json" id="${REPORT_DATA_ID}">`;

/**
 * The `RunReport` in `text`: a JSON report (`--reporter json`), or an HTML report
 * (`--reporter html`) whose embedded data is read back.
 *
 * @param name the file name, for error messages.
 * @throws {ReportMergeError} when `text` is neither, or its data is not a report.
 * @example
 * ```ts
 * import { formatHtml } from "./html.ts";
 * import { parseReportText } from "./report_merge.ts";
 * const report = { scenarios: [], passed: 0, failed: 0, durationMs: 1, startedAt: "</script>" };
 * if (parseReportText(formatHtml(report), "x").startedAt !== "</script>") throw new Error();
 * ```
 */
export function parseReportText(text: string, name: string): RunReport {
  let json = text;
  if (!text.trimStart().startsWith("{")) {
    const start = text.indexOf(DATA_START);
    const end = start === -1 ? -1 : text.indexOf("</script>", start);
    if (end === -1) {
      throw new ReportMergeError(
        `${name} is neither a JSON report nor an HTML report of pyrepl3 ` +
          `(no <script id="${REPORT_DATA_ID}"> in it)`,
      );
    }
    json = text.slice(start + DATA_START.length, end);
  }
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new ReportMergeError(`${name}: invalid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!isRunReport(data)) {
    throw new ReportMergeError(
      `${name} is not a pyrepl3 report (expected an object with scenarios, passed, failed)`,
    );
  }
  const problem = shapeProblem(data);
  if (problem !== undefined) {
    throw new ReportMergeError(`${name} is not a pyrepl3 report: ${problem}`);
  }
  return data;
}

/** `typeof value`, as a string to compare with a field's expected type. */
function typeOf(value: unknown): string {
  return typeof value;
}

/**
 * What in `report` is not as a pyrepl3 report writes it, as `scenarios[0].steps[1].line is not
 * a number`: the reporters read these fields (a hand-edited report ended in a TypeError).
 */
function shapeProblem(report: RunReport): string | undefined {
  const check = (value: unknown, where: string, fields: Record<string, string>) => {
    if (typeof value !== "object" || value === null) return `${where} is not an object`;
    const v = value as Record<string, unknown>;
    for (const [field, type] of Object.entries(fields)) {
      const ok = type === "array" ? Array.isArray(v[field]) : typeOf(v[field]) === type;
      if (!ok) return `${where}.${field} is not ${type === "array" ? "an array" : `a ${type}`}`;
    }
  };
  const SCENARIO = { name: "string", file: "string", status: "string", durationMs: "number" };
  const STEP = {
    index: "number",
    kind: "string",
    label: "string",
    line: "number",
    column: "number",
    status: "string",
    durationMs: "number",
    failures: "array",
  };
  const FAILURE = { kind: "string", key: "string", message: "string" };
  for (const [i, scenario] of report.scenarios.entries()) {
    const at = `scenarios[${i}]`;
    const problem = check(scenario, at, SCENARIO);
    if (problem !== undefined) return problem;
    for (const list of ["steps", "setup"] as const) {
      for (const [j, step] of (scenario[list] ?? []).entries()) {
        const problem = check(step, `${at}.${list}[${j}]`, STEP) ??
          step.failures.map((f, k) => check(f, `${at}.${list}[${j}].failures[${k}]`, FAILURE))
            .find((p) => p !== undefined);
        if (problem !== undefined) return problem;
      }
    }
  }
}

/**
 * One report of the scenarios of all `reports`, in input order. Counts add up; the duration
 * is the longest shard's (shards run side by side); `startedAt` is the earliest; `hashSeed`
 * and `pythonVersion` are kept when every shard agrees.
 *
 * @param names one name per report, for error messages.
 * @throws {ReportMergeError} when two reports hold the same scenario (the same file and name),
 * as merging a shard twice would.
 */
export function mergeRunReports(reports: RunReport[], names: string[] = []): RunReport {
  const seen = new Map<string, string>();
  const scenarios: ScenarioReport[] = [];
  reports.forEach((report, i) => {
    const name = names[i] ?? `input ${i + 1}`;
    for (const s of report.scenarios) {
      const key = `${s.file}\0${s.name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        throw new ReportMergeError(
          `scenario "${s.name}" (${s.file}) is in both ${first} and ${name}; ` +
            `give each shard's report once`,
        );
      }
      seen.set(key, name);
      scenarios.push(s);
    }
  });
  const starts = reports.map((r) => r.startedAt).filter((s) => s !== "").sort();
  const merged: RunReport = {
    scenarios,
    passed: scenarios.filter((s) => s.status === "passed").length,
    failed: scenarios.filter((s) => s.status === "failed").length,
    durationMs: Math.max(0, ...reports.map((r) => r.durationMs)),
    startedAt: starts[0] ?? "",
  };
  const seeds = new Set(reports.map((r) => r.hashSeed));
  if (seeds.size === 1 && reports[0]?.hashSeed !== undefined) merged.hashSeed = reports[0].hashSeed;
  const versions = new Set(reports.map((r) => r.pythonVersion));
  if (versions.size === 1 && reports[0]?.pythonVersion !== undefined) {
    merged.pythonVersion = reports[0].pythonVersion;
  }
  return merged;
}

function isRunReport(data: unknown): data is RunReport {
  if (typeof data !== "object" || data === null) return false;
  const r = data as Record<string, unknown>;
  return Array.isArray(r.scenarios) && typeof r.passed === "number" &&
    typeof r.failed === "number" &&
    r.scenarios.every((s) =>
      typeof s === "object" && s !== null && Array.isArray((s as ScenarioReport).steps)
    );
}
