/**
 * The GitHub Actions reporter: a workflow command per failing step, so the failure shows on the
 * line of the scenario file in the pull request's diff, and a Markdown table for the job's
 * summary page (`$GITHUB_STEP_SUMMARY`).
 *
 * @module
 */

import { failedSteps, formatDuration, scenarioOutcome, skippedText } from "./_format.ts";
import type { RunReport, ScenarioReport } from "./model.ts";
import { renderStepFailure } from "./step_failure.ts";

/**
 * `::error file=F,line=L,title=T::message` for each failing step of the report (one per
 * failed scenario without a failing step, e.g. a failed `setup:` or `--update` write), each on one
 * line as GitHub's workflow commands require.
 *
 * @example
 * ```ts
 * import { formatGithub } from "./github.ts";
 * const report = { scenarios: [], passed: 0, failed: 0, durationMs: 0, startedAt: "" };
 * if (formatGithub(report) !== "") throw new Error("nothing failed, nothing to annotate");
 * ```
 */
export function formatGithub(report: RunReport): string {
  return report.scenarios.flatMap(annotations).join("");
}

function annotations(scenario: ScenarioReport): string[] {
  if (scenario.status !== "failed") return [];
  const steps = failedSteps(scenario);
  if (steps.length === 0) {
    const setup = (scenario.setup ?? []).filter((step) => step.status === "failed")
      .flatMap((step) => renderStepFailure({ file: "setup" }, step).slice(1))
      .map((line) => line.replace(/^ {2}/, ""));
    const why = scenario.updateError ??
      (setup.length > 0 ? `setup failed:\n${setup.join("\n")}` : "scenario failed");
    return [command({ file: scenario.file, title: `${scenario.name} failed` }, why)];
  }
  const skipped = skippedText(scenario);
  return steps.map((step, i) => {
    const [, ...details] = renderStepFailure(scenario, step);
    // The last annotation of the scenario says how many steps never ran after the failure.
    if (skipped !== "" && i === steps.length - 1) details.push(`  ${skipped}`);
    return command(
      {
        file: scenario.file,
        line: String(step.line), // no col: the issue's format, and the line is what the diff shows
        title: `${scenario.name}: step ${step.index + 1} (${step.kind}) failed`,
      },
      details.map((line) => line.replace(/^ {2}/, "")).join("\n") || "step failed",
    );
  });
}

function command(properties: Record<string, string>, message: string): string {
  const props = Object.entries(properties).map(([k, v]) => `${k}=${escapeProperty(v)}`).join(",");
  return `::error ${props}::${escapeData(message)}\n`;
}

/**
 * Escapes a workflow command's message: `%`, CR and LF become `%25`, `%0D`, `%0A` (the rules of
 * the Actions toolkit's `escapeData`), so a multi-line diff stays one command.
 */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a workflow command's property value: as `escapeData`, plus `:` and `,` (`%3A`, `%2C`). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * The run as Markdown for `$GITHUB_STEP_SUMMARY`: a headline with the counts and time, and a
 * table of the scenarios, failed ones first with the file:line of their first failing step.
 *
 * @example
 * ```ts
 * import { githubSummary } from "./github.ts";
 * const report = { scenarios: [], passed: 0, failed: 0, durationMs: 0, startedAt: "" };
 * if (!githubSummary(report).startsWith("### pyrepl3: 0 scenarios")) throw new Error("headline");
 * ```
 */
export function githubSummary(report: RunReport): string {
  const n = report.scenarios.length;
  const skipped = report.scenarios.filter((s) => scenarioOutcome(s) === "skipped").length;
  const lines = [
    `### pyrepl3: ${n} scenario${n === 1 ? "" : "s"}: ${report.passed} passed, ` +
    `${report.failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""} ` +
    `(${formatDuration(report.durationMs)})`,
    "",
  ];
  if (report.hashSeed !== undefined) lines.push(`PYTHONHASHSEED=${report.hashSeed}`, "");
  if (n > 0) {
    lines.push("| | Scenario | Where | Time |", "| --- | --- | --- | --- |");
    const rank = { failed: 0, skipped: 1, passed: 2 } as const;
    const ordered = [...report.scenarios].sort((a, b) =>
      rank[scenarioOutcome(a)] - rank[scenarioOutcome(b)]
    );
    for (const s of ordered) {
      const outcome = scenarioOutcome(s);
      const icon = outcome === "failed" ? "❌" : outcome === "skipped" ? "⏭️" : "✅";
      const step = failedSteps(s)[0];
      const where = step === undefined ? s.file : `${s.file}:${step.line}`;
      lines.push(
        `| ${icon} | ${cell(s.name)} | \`${cell(where)}\` | ${formatDuration(s.durationMs)} |`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** A table cell: one line, with `|` escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|").replace(/`/g, "'");
}

/** Where `GithubReporter` writes: annotations to stdout, the summary appended to a file. */
export interface GithubReporterOptions {
  /** The file of `$GITHUB_STEP_SUMMARY`; no summary when undefined. */
  summaryFile?: string;
}

/**
 * Writes the annotations through `write` when the run is done, and appends the summary to
 * `summaryFile` (GitHub renders every step's appended Markdown on the job's page).
 */
export function githubRunDone(
  report: RunReport,
  write: (text: string) => void,
  options: GithubReporterOptions = {},
): void {
  write(formatGithub(report));
  if (options.summaryFile !== undefined && options.summaryFile !== "") {
    Deno.writeTextFileSync(options.summaryFile, githubSummary(report), { append: true });
  }
}
