/**
 * The TAP reporter (Test Anything Protocol, version 14 by default, 13 on request): a test
 * point per scenario, with a YAML diagnostic block for each failure.
 *
 * @module
 */

import { stringify } from "npm:yaml@2.9.1";
import {
  crashSummary,
  failedSteps,
  scenarioOutcome,
  skippedSteps,
  stepLocation,
} from "./_format.ts";
import type { RunReport, ScenarioReport, StepReport } from "./model.ts";

/** Options of the TAP reporter. */
export interface TapOptions {
  /** The TAP version line to write. Default 14. */
  version?: 13 | 14;
}

/**
 * The report as a TAP document: version line, plan, then `ok`/`not ok` per scenario.
 *
 * @example
 * ```ts
 * import { formatTap } from "./tap.ts";
 * const tap = formatTap({ scenarios: [], passed: 0, failed: 0, durationMs: 0, startedAt: "" });
 * if (tap !== "TAP version 14\n1..0\n") throw new Error(tap);
 * ```
 */
export function formatTap(report: RunReport, options: TapOptions = {}): string {
  const lines = [`TAP version ${options.version ?? 14}`, `1..${report.scenarios.length}`];
  // One line at a time: push(...) of a failure with 200,000 output lines overflowed the stack.
  report.scenarios.forEach((scenario, i) => {
    for (const line of testPoint(scenario, i + 1)) lines.push(line);
  });
  // The seed of the run, so a failure can be replayed with --hash-seed N (a TAP comment).
  if (report.hashSeed !== undefined) lines.push(`# hash seed ${report.hashSeed} (PYTHONHASHSEED)`);
  return lines.join("\n") + "\n";
}

function testPoint(scenario: ScenarioReport, number: number): string[] {
  const description = `${number} - ${escapeDescription(scenario.name)}`;
  switch (scenarioOutcome(scenario)) {
    case "passed":
      return [`ok ${description} # time=${Math.round(scenario.durationMs)}ms`];
    case "skipped":
      return [`ok ${description} # SKIP every step was skipped`];
    case "failed":
      return [`not ok ${description}`, ...diagnostics(scenario)];
  }
}

/** A YAML block (indented two spaces, between `---` and `...`) describing what failed. */
function diagnostics(scenario: ScenarioReport): string[] {
  const data = {
    file: scenario.file,
    duration_ms: Math.round(scenario.durationMs),
    failures: failedSteps(scenario).map((step) => ({
      at: stepLocation(scenario, step),
      step: step.index + 1,
      kind: step.kind,
      label: step.label,
      ...(step.error === undefined ? {} : { error: step.error }),
      ...crashData(step),
      expectations: step.failures.map((f) => ({
        key: f.key,
        message: f.message,
        ...(f.expected === undefined ? {} : { expected: f.expected }),
        ...(f.actual === undefined ? {} : { actual: f.actual }),
      })),
    })),
    ...(skippedSteps(scenario) === 0 ? {} : { skipped_steps: skippedSteps(scenario) }),
  };
  const yaml = stringify(data, { lineWidth: 0 }).trimEnd().split("\n");
  return ["  ---", ...yaml.map((line) => `  ${line}`), "  ..."];
}

/** How a crashed step's interpreter ended: exit code, signal and the tail of its stderr. */
function crashData(step: StepReport): Record<string, unknown> {
  const crash = step.actual?.crash;
  if (crash === undefined) return {};
  return {
    crash: {
      summary: crashSummary(step),
      exit_code: crash.exitCode,
      signal: crash.signal,
      stderr_tail: crash.stderrTail,
    },
  };
}

/** Escapes `\` and `#` (TAP 14 §"Escaping") and folds line breaks, which would end the line. */
function escapeDescription(name: string): string {
  return name.replace(/\\/g, "\\\\").replace(/#/g, "\\#").replace(/[\r\n]+/g, " ");
}
