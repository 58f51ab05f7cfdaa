/**
 * The reporter registry: names, and one interface the CLI drives as a run goes.
 *
 * @module
 */

import { DotStream, formatDot } from "./dot.ts";
import { formatGithub, githubRunDone } from "./github.ts";
import { formatHtml } from "./html.ts";
import { formatJson } from "./json.ts";
import { formatJunit } from "./junit.ts";
import type { RunReport, ScenarioReport } from "./model.ts";
import { formatPretty, PrettyStream } from "./pretty.ts";
import { formatTap } from "./tap.ts";

/** The names `--reporter` accepts. */
export const REPORTER_NAMES = ["pretty", "dot", "json", "junit", "tap", "html", "github"] as const;

/** A reporter's name. */
export type ReporterName = typeof REPORTER_NAMES[number];

/** True when `name` is a reporter's name. */
export function isReporterName(name: string): name is ReporterName {
  return (REPORTER_NAMES as readonly string[]).includes(name);
}

/** What a scenario-start notification carries. */
export interface ScenarioStartEvent {
  name: string;
  file: string;
}

/** A reporter as a run goes: notified of each scenario, then of the whole report. */
export interface Reporter {
  /** A scenario began. */
  scenarioStarted(event: ScenarioStartEvent): void;
  /** A scenario finished. */
  scenarioDone(scenario: ScenarioReport): void;
  /** The run finished; whole-document reporters write everything now. */
  runDone(report: RunReport): void;
}

/** How a reporter renders. */
export interface ReporterOptions {
  /** Add ANSI colours (pretty, dot). Default false. */
  color?: boolean;
  /** Show a self-erasing progress line (pretty, on a terminal). Default false. */
  progress?: boolean;
  /** Terminal width for the progress line. Default 80. */
  columns?: number;
  /** How many scenarios the run will report, when known. */
  total?: number;
  /** github: the file to append the Markdown summary to (`$GITHUB_STEP_SUMMARY`). */
  githubStepSummary?: string;
}

/**
 * The whole report as text in the format `name`.
 *
 * @example
 * ```ts
 * import { formatReport } from "./reporters.ts";
 * const report = { scenarios: [], passed: 0, failed: 0, durationMs: 0, startedAt: "" };
 * if (!formatReport("tap", report).startsWith("TAP version")) throw new Error("tap");
 * ```
 */
export function formatReport(
  name: ReporterName,
  report: RunReport,
  options: ReporterOptions = {},
): string {
  switch (name) {
    case "pretty":
      return formatPretty(report, options);
    case "dot":
      return formatDot(report, options);
    case "json":
      return formatJson(report);
    case "junit":
      return formatJunit(report);
    case "tap":
      return formatTap(report);
    case "github":
      return formatGithub(report);
    case "html":
      return formatHtml(report);
    default: {
      const unknown: never = name;
      throw new TypeError(`unknown reporter ${unknown}`);
    }
  }
}

/**
 * A reporter that writes through `write`: pretty and dot stream as scenarios finish; json,
 * junit, tap and html write their whole document when the run is done.
 */
export function createReporter(
  name: ReporterName,
  write: (text: string) => void,
  options: ReporterOptions = {},
): Reporter {
  if (name === "pretty") return new PrettyStream(write, options);
  if (name === "dot") return new DotStream(write, options);
  if (name === "github") {
    const summaryFile = options.githubStepSummary;
    return {
      scenarioStarted() {},
      scenarioDone() {},
      runDone: (report) => githubRunDone(report, write, { summaryFile }),
    };
  }
  return {
    scenarioStarted() {},
    scenarioDone() {},
    runDone(report) {
      write(formatReport(name, report, options));
    },
  };
}
