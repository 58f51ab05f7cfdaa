/**
 * The default reporter, for people: a line per scenario with its time, a progress line on a
 * terminal, and for each failure the step's `file:line:column` and a diff of expected
 * against actual.
 *
 * @module
 */

import { colorsFor } from "./_colors.ts";
import { failedSteps, formatDuration, scenarioOutcome, skippedText } from "./_format.ts";
import type { RunReport, ScenarioReport } from "./model.ts";
import { renderStepFailure } from "./step_failure.ts";
import { bundleSummary } from "./_bundle.ts";

/** Options of the pretty reporter. */
export interface PrettyOptions {
  /** Add ANSI colours. Default false. */
  color?: boolean;
}

/**
 * The one-line verdict of a scenario: mark, name, file and time.
 *
 * @example
 * ```ts
 * import { prettyScenarioLine } from "./pretty.ts";
 * const line = prettyScenarioLine({
 *   name: "greeting", file: "s/greet.yaml", tags: [], status: "passed", durationMs: 12, steps: [],
 * });
 * if (line !== "✓ greeting (s/greet.yaml) 12ms") throw new Error(line);
 * ```
 */
export function prettyScenarioLine(scenario: ScenarioReport, options: PrettyOptions = {}): string {
  const c = colorsFor(options.color ?? false);
  const updated = scenario.updated ? ` ${c.yellow("(file updated)")}` : "";
  const time = c.dim(formatDuration(scenario.durationMs)) + updated;
  const where = c.dim(`(${scenario.file})`);
  switch (scenarioOutcome(scenario)) {
    case "passed":
      return `${c.green("✓")} ${scenario.name} ${where} ${time}`;
    case "failed":
      return `${c.red("✗")} ${c.red(scenario.name)} ${where} ${time}`;
    case "skipped":
      return `${c.yellow("-")} ${scenario.name} ${where} ${c.yellow("skipped")}`;
  }
}

/** A failed step's displays summarized in its line: the first ones, then how many more. */
const MAX_DISPLAYS_SHOWN = 10;

/**
 * The details of a failed scenario: each failed step, where it is, and what differed, then how
 * many steps were skipped after the failure.
 */
export function prettyFailure(scenario: ScenarioReport, options: PrettyOptions = {}): string {
  const c = colorsFor(options.color ?? false);
  const lines = [
    `${c.red(c.bold("FAIL"))} ${c.bold(scenario.name)} ${c.dim(`(${scenario.file})`)}`,
  ];
  for (const step of failedSteps(scenario)) {
    for (const line of renderStepFailure(scenario, step, options)) lines.push(`  ${line}`);
    const displays = step.actual?.displays ?? [];
    if (displays.length > 0) {
      const shown = displays.slice(0, MAX_DISPLAYS_SHOWN).map((d) => bundleSummary(d.data));
      const more = displays.length - shown.length;
      lines.push(
        `    ${c.dim("displays:")} ${shown.join(" | ")}${more > 0 ? ` | … ${more} more` : ""}`,
      );
    }
  }
  const skipped = skippedText(scenario);
  if (skipped !== "") lines.push(`  ${c.yellow(skipped)}`);
  return lines.join("\n");
}

/** The closing line: counts and total time. */
export function prettySummary(report: RunReport, options: PrettyOptions = {}): string {
  const c = colorsFor(options.color ?? false);
  const total = report.scenarios.length;
  const skipped = report.scenarios.filter((s) => scenarioOutcome(s) === "skipped").length;
  const parts = [c.green(`${report.passed - skipped} passed`)];
  parts.push(report.failed > 0 ? c.red(`${report.failed} failed`) : `${report.failed} failed`);
  if (skipped > 0) parts.push(c.yellow(`${skipped} skipped`));
  const written = updateSummary(report);
  if (written !== "") parts.push(c.yellow(written));
  const noun = total === 1 ? "scenario" : "scenarios";
  // A seed other than the default is worth repeating: `--hash-seed N` replays the run.
  const seed = report.hashSeed ? c.dim(`, hash seed ${report.hashSeed}`) : "";
  return `${total} ${noun}: ${parts.join(", ")} ${
    c.dim(`(${formatDuration(report.durationMs)})`)
  }${seed}`;
}

/**
 * What `--update` wrote: `3 expectations written in 2 files`, or empty when no file changed.
 *
 * @example
 * ```ts
 * import { updateSummary } from "./pretty.ts";
 * const scenario = { name: "s", file: "s.yaml", tags: [], status: "passed" as const, durationMs: 1, steps: [] };
 * const text = updateSummary({
 *   scenarios: [{ ...scenario, updated: true, expectationsWritten: 3 }],
 *   passed: 1, failed: 0, durationMs: 1, startedAt: "",
 * });
 * if (text !== "3 expectations written in 1 file") throw new Error(text);
 * ```
 */
export function updateSummary(report: RunReport): string {
  const updated = report.scenarios.filter((s) => s.updated);
  if (updated.length === 0) return "";
  const written = updated.reduce((sum, s) => sum + (s.expectationsWritten ?? 0), 0);
  // A module's docstrings are scenarios of one file.
  const files = new Set(updated.map((s) => s.file)).size;
  return `${written} ${written === 1 ? "expectation" : "expectations"} written in ` +
    `${files} ${files === 1 ? "file" : "files"}`;
}

/** The failure section printed after the scenario lines (empty when nothing failed). */
export function prettyFailures(report: RunReport, options: PrettyOptions = {}): string {
  const failed = report.scenarios.filter((s) => s.status === "failed");
  if (failed.length === 0) return "";
  return "\n" + failed.map((s) => prettyFailure(s, options)).join("\n\n") + "\n";
}

/** The whole pretty report as text, for a file or a finished run. */
export function formatPretty(report: RunReport, options: PrettyOptions = {}): string {
  const lines = report.scenarios.map((s) => prettyScenarioLine(s, options));
  return [...lines, prettyFailures(report, options), prettySummary(report, options)]
    .filter((part) => part !== "")
    .join("\n") + "\n";
}

/** Options of the streaming pretty reporter. */
export interface PrettyStreamOptions extends PrettyOptions {
  /** Keep a self-erasing progress line at the bottom (only for a terminal). Default false. */
  progress?: boolean;
  /** The terminal width the progress line is cut to. Default 80. */
  columns?: number;
  /** How many scenarios the run has, when known, for `3/10` in the progress line. */
  total?: number;
}

/** The pretty reporter as a run goes: each scenario's line as it finishes, then the failures. */
export class PrettyStream {
  readonly #write: (text: string) => void;
  readonly #options: PrettyStreamOptions;
  readonly #running = new Set<string>();
  #done = 0;
  #progressShown = false;

  /** Writes through `write` (synchronously, in order). */
  constructor(write: (text: string) => void, options: PrettyStreamOptions = {}) {
    this.#write = write;
    this.#options = options;
  }

  /** A scenario began: it shows in the progress line. */
  scenarioStarted(event: { name: string; file: string }): void {
    this.#running.add(event.name);
    this.#drawProgress();
  }

  /** A scenario finished: its verdict line. */
  scenarioDone(scenario: ScenarioReport): void {
    this.#running.delete(scenario.name);
    this.#done++;
    this.#clearProgress();
    this.#write(prettyScenarioLine(scenario, this.#options) + "\n");
    this.#drawProgress();
  }

  /** The run finished: the failure details and the summary. */
  runDone(report: RunReport): void {
    this.#clearProgress();
    const failures = prettyFailures(report, this.#options);
    this.#write(
      failures + (failures === "" ? "" : "\n") + prettySummary(report, this.#options) + "\n",
    );
  }

  #drawProgress(): void {
    if (!this.#options.progress || this.#running.size === 0) return;
    const c = colorsFor(this.#options.color ?? false);
    const total = this.#options.total === undefined ? "" : `/${this.#options.total}`;
    const text = `${this.#done}${total} done, running: ${[...this.#running].join(", ")}`;
    const width = Math.max(10, (this.#options.columns ?? 80) - 1);
    const cut = text.length > width ? text.slice(0, width - 1) + "…" : text;
    this.#clearProgress();
    this.#write(c.dim(cut));
    this.#progressShown = true;
  }

  #clearProgress(): void {
    if (!this.#progressShown) return;
    // Carriage return, then erase the whole line: the next write starts on a clean line.
    this.#write("\r\x1b[2K");
    this.#progressShown = false;
  }
}
