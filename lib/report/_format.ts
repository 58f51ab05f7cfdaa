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

/** The failure messages of a step, one line each (its error first). */
export function stepMessages(step: StepReport): string[] {
  const messages = step.failures.map((failure) => failure.message);
  return step.error === undefined ? messages : [step.error, ...messages];
}

/** The first line of `text`, with an ellipsis when more followed. */
export function firstLine(text: string): string {
  const end = text.indexOf("\n");
  return end === -1 ? text : `${text.slice(0, end)}…`;
}
