/**
 * A reporter of the command line with where its text goes: stdout (coloured as `--color`,
 * `FORCE_COLOR` and `NO_COLOR` say), or a file written whole when the run is done.
 *
 * @module
 */

import { dirname } from "node:path";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import { type ColorChoice, shouldColor } from "../report/_colors.ts";
import type { RunReport } from "../report/model.ts";
import { copySnapshotImages } from "../scenario/snapshot.ts";
import { createReporter, type Reporter, type ReporterOptions } from "../report/reporters.ts";
import type { ReporterSpec } from "./args.ts";
import type { CliIO } from "./io.ts";
import { ReportWriteError } from "./errors.ts";

/** A reporter with where its text goes: straight to stdout, or gathered for a file. */
export interface ReporterOutput {
  reporter: Reporter;
  /** Ends the report; for a file, writes it (`ReportWriteError` when it cannot). */
  finish(report: RunReport): Promise<void>;
}

/** Where a stdout reporter writes, and how. */
export interface ReporterContext {
  io: CliIO;
  /** How many scenarios the run will report. */
  total: number;
  /** `--color`. */
  color: ColorChoice;
}

/** Opens the reporter `spec` names for one run. */
export function openReporter(
  spec: ReporterSpec,
  { io, total, color }: ReporterContext,
): ReporterOutput {
  const file = spec.file;
  if (file === undefined) {
    const options: ReporterOptions = {
      color: shouldColor(color, {
        isTerminal: io.isTerminal,
        noColor: io.colorAllowed ? undefined : "1",
        forceColor: Deno.env.get("FORCE_COLOR"),
      }),
      progress: io.isTerminal,
      columns: io.columns,
      total,
      githubStepSummary: Deno.env.get("GITHUB_STEP_SUMMARY"),
    };
    const reporter = createReporter(spec.name, io.stdout, options);
    return { reporter, finish: (report) => Promise.resolve(reporter.runDone(report)) };
  }
  // A file never gets colours or a progress line; it is written once, when the run is done.
  const chunks: string[] = [];
  const reporter = createReporter(spec.name, (text) => chunks.push(text), {
    githubStepSummary: Deno.env.get("GITHUB_STEP_SUMMARY"),
  });
  return {
    reporter,
    async finish(report) {
      reporter.runDone(report);
      try {
        await writeTextFileAtomic(file, chunks.join(""), { mkdirs: true });
        // The images of failed snapshots go next to the report, when it is a file (not /dev/stdout).
        if (Deno.statSync(file).isFile) copySnapshotImages(report, dirname(file));
      } catch (error) {
        throw new ReportWriteError(spec.name, file, error);
      }
    },
  };
}
