/**
 * Small text helpers shared by the reporters: durations, step locations, outcomes.
 *
 * @module
 */

import type { ScenarioReport, StepReport } from "./model.ts";

/** What a reporter shows for a scenario: `skipped` when every step was skipped. */
export type ScenarioOutcome = "passed" | "failed" | "skipped";

/** The outcome a reporter shows for `scenario`. */
export function scenarioOutcome(scenario: ScenarioReport): ScenarioOutcome {
  if (scenario.status === "failed") return "failed";
  const allSkipped = scenario.steps.length > 0 &&
    scenario.steps.every((step) => step.status === "skipped");
  return allSkipped ? "skipped" : "passed";
}

/**
 * Renders a duration for people: `850ms`, `1.25s`, `2m 05s`. The one duration formatter: the
 * reporters and the failure messages of `checkExecution` all use it.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./_format.ts";
 * if (formatDuration(1250) !== "1.25s") throw new Error("seconds with two decimals");
 * ```
 */
export function formatDuration(ms: number): string {
  // Round first, then pick the unit, so that 999.6 ms is not `1000ms` nor 119.7 s `1m 60s`.
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const hundredths = Math.round(ms / 10);
  if (hundredths < 6000) return `${(hundredths / 100).toFixed(2)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}

/** Milliseconds as seconds with millisecond precision, for machine formats (JUnit). */
export function toSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** `file:line:column` of a step. */
export function stepLocation(scenario: { file: string }, step: StepReport): string {
  return `${scenario.file}:${step.line}:${step.column}`;
}

/** The steps of a scenario that failed, in order. */
export function failedSteps(scenario: ScenarioReport): StepReport[] {
  return scenario.steps.filter((step) => step.status === "failed");
}

/** The failure messages of a step, one line each (its error first, then how it crashed). */
export function stepMessages(step: StepReport): string[] {
  const crash = crashSummary(step);
  return [
    ...(step.error === undefined ? [] : [step.error]),
    ...(crash === undefined ? [] : [crash]),
    ...step.failures.map((failure) => failure.message),
  ];
}

/**
 * How the interpreter of a crashed step ended, in one line, or undefined when it did not:
 * `the interpreter was killed by signal SIGSEGV`, `the interpreter exited with code 3`.
 */
export function crashSummary(step: StepReport): string | undefined {
  const crash = step.actual?.crash;
  if (crash === undefined) return undefined;
  if (crash.signal !== null) return `the interpreter was killed by signal ${crash.signal}`;
  if (crash.exitCode !== null) return `the interpreter exited with code ${crash.exitCode}`;
  return "the interpreter ended";
}

/** The last lines (at most `max`) the crashed interpreter wrote to stderr; empty when none. */
export function stderrTail(step: StepReport, max = 20): string[] {
  const tail = step.actual?.crash?.stderrTail.replace(/\s+$/, "") ?? "";
  return tail === "" ? [] : tail.split("\n").slice(-max);
}

/** How many steps of `scenario` were skipped after a step failed. */
export function skippedSteps(scenario: ScenarioReport): number {
  return scenario.steps.filter((step) => step.status === "skipped").length;
}

/** `3 steps skipped after the failure`, or empty when none was. */
export function skippedText(scenario: ScenarioReport): string {
  const n = skippedSteps(scenario);
  if (n === 0) return "";
  const cause = scenario.steps.find((s) => s.skippedBecause !== undefined)?.skippedBecause;
  return `${n} ${n === 1 ? "step" : "steps"} skipped after the failure${cause ? `: ${cause}` : ""}`;
}

/** The first line of `text`, with an ellipsis when more followed. */
export function firstLine(text: string): string {
  const end = text.indexOf("\n");
  return end === -1 ? text : `${text.slice(0, end)}…`;
}
