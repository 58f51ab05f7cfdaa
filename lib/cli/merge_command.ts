/**
 * `pyrepl3 merge-junit OUT.xml IN.xml...`: merge the JUnit files of CI shards into one; and
 * `pyrepl3 merge-reports OUT IN...`: the same for JSON or HTML reports.
 *
 * ```sh
 * pyrepl3 scenarios/ --shard 1/2 --reporter junit:junit-1.xml   # on one machine
 * pyrepl3 scenarios/ --shard 2/2 --reporter junit:junit-2.xml   # on another
 * pyrepl3 merge-junit junit.xml junit-*.xml
 * pyrepl3 merge-reports report.html report-*.json             # or the shards' HTML reports
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import { formatHtml } from "../report/html.ts";
import { formatJson } from "../report/json.ts";
import { mergeJunit } from "../report/junit_merge.ts";
import { mergeRunReports, parseReportText } from "../report/report_merge.ts";
import { readTextFileStrict, unreadableReason } from "../scenario/read_text.ts";
import { type MergeJunitOptions, type MergeReportsOptions, UsageError } from "./args.ts";
import type { CliIO } from "./io.ts";

/**
 * Reads the inputs, merges them and writes the output (stdout for `-`); returns exit code 0.
 *
 * @throws {UsageError} when an input cannot be read, or when the output is also an input (a
 * glob that swallowed the output's place); `JunitMergeError` when an input is not JUnit XML or
 * two inputs hold the same testcase. The CLI exits with 2 for both.
 */
export async function mergeJunitCommand(options: MergeJunitOptions, io: CliIO): Promise<number> {
  const { output, inputs } = options;
  if (output !== "-" && inputs.some((input) => resolve(input) === resolve(output))) {
    throw new UsageError(
      `merge-junit: the output ${output} is also an input; give the output file first ` +
        `(pyrepl3 merge-junit OUT.xml IN.xml...)`,
    );
  }
  const documents = await Promise.all(inputs.map((file) => readInput(file)));
  const xml = mergeJunit(documents, { names: inputs });
  if (output === "-") {
    io.stdout(xml);
  } else {
    await writeTextFileAtomic(output, xml, { mkdirs: true });
  }
  return 0;
}

/**
 * Reads JSON or HTML reports, merges them, and writes OUT as HTML (`.html`, `.htm`) or JSON
 * (`.json`, or `-` for stdout); returns exit code 0.
 *
 * @throws {UsageError} when OUT has another extension, is also an input, or an input cannot be
 * read; `ReportMergeError` when an input is no report or two hold the same scenario. The CLI
 * exits with 2 for both.
 */
export async function mergeReportsCommand(
  options: MergeReportsOptions,
  io: CliIO,
): Promise<number> {
  const { output, inputs } = options;
  const format = output === "-"
    ? "json"
    : /\.html?$/i.test(output)
    ? "html"
    : /\.json$/i.test(output)
    ? "json"
    : undefined;
  if (format === undefined) {
    throw new UsageError(
      `merge-reports: cannot tell the format of ${output}; name it .html or .json (or - for ` +
        `JSON on stdout)`,
    );
  }
  if (output !== "-" && inputs.some((input) => resolve(input) === resolve(output))) {
    throw new UsageError(
      `merge-reports: the output ${output} is also an input; give the output file first ` +
        `(pyrepl3 merge-reports OUT.html IN.json...)`,
    );
  }
  const texts = await Promise.all(inputs.map((file) => readInput(file, "merge-reports")));
  const merged = mergeRunReports(texts.map((text, i) => parseReportText(text, inputs[i])), inputs);
  const text = format === "html" ? formatHtml(merged) : formatJson(merged);
  if (output === "-") {
    io.stdout(text);
  } else {
    await writeTextFileAtomic(output, text, { mkdirs: true });
  }
  return 0;
}

async function readInput(file: string, command = "merge-junit"): Promise<string> {
  try {
    return await readTextFileStrict(file);
  } catch (error) {
    throw new UsageError(`${command}: cannot read ${file}: ${unreadableReason(error)}`, {
      cause: error,
    });
  }
}
