/**
 * The compact reporter: one character per scenario (`.` passed, `F` failed, `S` skipped),
 * wrapped at 80, then the failure details and the summary of the pretty reporter.
 *
 * @module
 */

import { colorsFor } from "./_colors.ts";
import { scenarioOutcome } from "./_format.ts";
import type { RunReport, ScenarioReport } from "./model.ts";
import { prettyFailures, type PrettyOptions, prettySummary } from "./pretty.ts";

/** Characters per line before the dots wrap. */
const WIDTH = 80;

/** Options of the dot reporter. */
export type DotOptions = PrettyOptions;

/** The character (coloured when asked) that stands for a scenario. */
export function dotFor(scenario: ScenarioReport, options: DotOptions = {}): string {
  const c = colorsFor(options.color ?? false);
  switch (scenarioOutcome(scenario)) {
    case "passed":
      return c.green(".");
    case "failed":
      return c.red("F");
    case "skipped":
      return c.yellow("S");
  }
}

/**
 * The whole dot report as text.
 *
 * @example
 * ```ts
 * import { formatDot } from "./dot.ts";
 * const text = formatDot({ scenarios: [], passed: 0, failed: 0, durationMs: 5, startedAt: "" });
 * if (!text.includes("0 scenarios")) throw new Error(text);
 * ```
 */
export function formatDot(report: RunReport, options: DotOptions = {}): string {
  const chunks: string[] = [];
  const stream = new DotStream((text) => chunks.push(text), options);
  for (const scenario of report.scenarios) stream.scenarioDone(scenario);
  stream.runDone(report);
  return chunks.join("");
}

/** The dot reporter as a run goes: a character as each scenario finishes. */
export class DotStream {
  readonly #write: (text: string) => void;
  readonly #options: DotOptions;
  #column = 0;

  /** Writes through `write` (synchronously, in order). */
  constructor(write: (text: string) => void, options: DotOptions = {}) {
    this.#write = write;
    this.#options = options;
  }

  /** Dots show finished scenarios only. */
  scenarioStarted(_event: { name: string; file: string }): void {}

  /** A scenario finished: its character, and a newline every 80. */
  scenarioDone(scenario: ScenarioReport): void {
    this.#write(dotFor(scenario, this.#options));
    if (++this.#column === WIDTH) {
      this.#write("\n");
      this.#column = 0;
    }
  }

  /** The run finished: the failure details and the summary. */
  runDone(report: RunReport): void {
    if (this.#column > 0) this.#write("\n");
    this.#column = 0;
    this.#write(prettyFailures(report, this.#options) + "\n");
    this.#write(prettySummary(report, this.#options) + "\n");
  }
}
