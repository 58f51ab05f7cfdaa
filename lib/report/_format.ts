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

/** Renders a duration for people: `850ms`, `1.25s`, `2m 05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, "0")}s`;
}

/** Milliseconds as seconds with millisecond precision, for machine formats (JUnit). */
export function toSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** `file:line:column` of a step. */
export function stepLocation(scenario: ScenarioReport, step: StepReport): string {
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
