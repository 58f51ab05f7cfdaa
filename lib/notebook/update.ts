/**
 * `--update` for notebooks: the fresh outputs of each failing cell, and the execution count of
 * every cell that ran, written into the `.ipynb` in place. Only the `outputs` and
 * `execution_count` values change; every other byte (metadata, cell ids, sources, formatting)
 * stays, and the values written are formatted as nbformat writes them.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import { mimeKind } from "../report/_bundle.ts";
import type { FailureKind, ScenarioReport, StepReport } from "../report/model.ts";
import { readUnchanged } from "../scenario/update.ts";
import { pathKey, type Span, valueSpans } from "./_json_spans.ts";
import { dumpsLikePython, type Json, splitLinesLikePython } from "./_nbjson.ts";
import { valueHidden } from "./expect.ts";
import { runCells } from "./load.ts";
import { parseNotebook } from "./parse.ts";

/** Options of `updateNotebook()`. */
export interface UpdateNotebookOptions {
  /** The text the notebook was loaded from; the file is left alone if it differs now. */
  expectedText?: string;
}

// Failures that fresh outputs fix. A wrong status (an error without `raises-exception`, or none
// with it), unused inputs or a crash are not: those cells are left as they are.
const FIXABLE: ReadonlySet<FailureKind> = new Set([
  "stdout",
  "stderr",
  "repr",
  "value",
  "error.type",
  "error.message",
  "display",
  "data",
]);

// The marker `CappedText` ends a stream with when it went over the output cap.
const TRUNCATED = /\n\[pyrepl3: output truncated, \d+ more characters were not kept\]\n$/;

/**
 * Writes the outputs of `report` (a run of the notebook `file`, with every cell run, as
 * `--update` runs them) into the notebook: each failing cell whose failures are all about its
 * outputs gets its fresh outputs, and every cell that ran its execution count (1, 2, ... in run
 * order, in the cell and in its `execute_result`). The file is written, atomically, only when
 * some cell's outputs changed.
 *
 * When written, `report` is brought up to date as `updateScenarioFile` does: the cells rewritten
 * become `passed` with `updated: true`, `expectationsWritten` counts them, and the scenario is
 * `failed` only when a cell still fails.
 *
 * @returns true when the file changed.
 * @throws {ScenarioChangedError} when `options.expectedText` is given and the file differs;
 * `TextFileError` or the file system's error when it cannot be read or written.
 * @example
 * ```ts ignore
 * import { loadNotebook, updateNotebook } from "./mod.ts";
 * import { runScenario } from "../scenario/run.ts";
 * const text = await Deno.readTextFile("demo.ipynb");
 * const [scenario] = loadNotebook("demo.ipynb", text);
 * const report = await runScenario(scenario, { continueOnFailure: true });
 * await updateNotebook("demo.ipynb", report, { expectedText: text });
 * ```
 */
export async function updateNotebook(
  file: string,
  report: ScenarioReport,
  options: UpdateNotebookOptions = {},
): Promise<boolean> {
  const before = await readUnchanged(file, options.expectedText?.replace(/^\ufeff/, ""));
  const { text, rewritten } = updatedText(before, file, report);
  if (rewritten.length === 0) return false;
  // A byte order mark is not part of the decoded text: written back, it stays.
  await writeTextFileAtomic(file, await startsWithBom(file) ? `\ufeff${text}` : text);
  for (const step of rewritten) {
    step.status = "passed";
    step.updated = true;
    step.failures = [];
  }
  report.updated = true;
  report.expectationsWritten = rewritten.length;
  report.status = report.steps.some((s) => s.status === "failed") ? "failed" : "passed";
  return true;
}

/** The notebook text with `report`'s outputs written in, and the steps whose outputs were. */
export function updatedText(
  text: string,
  file: string,
  report: ScenarioReport,
): { text: string; rewritten: StepReport[] } {
  const notebook = parseNotebook(text, file);
  const cells = runCells(notebook.cells);
  // Where each output's execution_count is (outputs are descended into, their data is not).
  const spans = valueSpans(
    text,
    (p) => p.length === 5 && p[2] === "outputs" && p[4] === "execution_count",
    (p) => p.length < 3 || (p[2] === "outputs" && p.length < 5),
  );
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const edits: { span: Span; text: string }[] = [];
  const rewritten: StepReport[] = [];
  let count = 0;
  report.steps.forEach((step, i) => {
    const cell = cells[i];
    // A cell that crashed the interpreter, or did not run, keeps its count and outputs.
    if (cell === undefined || step.actual === undefined || step.actual.status === "crashed") return;
    count++;
    const truncated = (["stdout", "stderr"] as const).filter((name) =>
      TRUNCATED.test(step.actual![name])
    );
    const fixable = step.status === "failed" && step.error === undefined &&
      step.failures.length > 0 && step.failures.every((f) => FIXABLE.has(f.kind)) &&
      truncated.length === 0;
    if (step.status === "failed" && truncated.length > 0) {
      // Written back, the cut text and its marker would replace the whole saved output.
      step.failures.push({
        kind: truncated[0],
        key: truncated[0],
        message: `--update did not write this cell: its ${truncated.join(" and ")} went over the ` +
          `output cap and was truncated`,
      });
    }
    if (fixable) {
      const indent = indentOfLine(text, cell.outputsSpan.start);
      const outputs = freshOutputs(step.actual, count, valueHidden(cell.source));
      edits.push({
        span: cell.outputsSpan,
        text: dumpsLikePython(outputs, { indent, unit: notebook.indentUnit, newline }),
      });
      rewritten.push(step);
    } else {
      cell.outputs.forEach((_, j) => {
        const span = spans.get(pathKey(["cells", cell.cellIndex, "outputs", j, "execution_count"]));
        if (span) edits.push({ span, text: String(count) });
      });
    }
    edits.push({ span: cell.countSpan, text: String(count) });
  });
  if (rewritten.length === 0) return { text, rewritten };
  // Pieces joined once: slicing the whole text per edit made a notebook of many cells quadratic.
  edits.sort((a, b) => a.span.start - b.span.start);
  const parts: string[] = [];
  let at = 0;
  for (const edit of edits) {
    parts.push(text.slice(at, edit.span.start), edit.text);
    at = edit.span.end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(""), rewritten };
}

/**
 * The outputs an execution gives, as nbformat stores them: its streams and displays in the order
 * they were written (`actual.outputs`; without it, stdout, then stderr, then the displays), then
 * the value (`execute_result`, unless `hideValue`: the cell ends in `;`) or the error, with its
 * traceback as a list of lines as Jupyter stores it.
 */
export function freshOutputs(
  actual: NonNullable<StepReport["actual"]>,
  count: number,
  hideValue = false,
): Json[] {
  const outputs: Json[] = [];
  const stream = (name: "stdout" | "stderr", text: string) => {
    if (text !== "") {
      outputs.push({ name, output_type: "stream", text: splitLinesLikePython(text) });
    }
  };
  const display = (shown: NonNullable<typeof actual.displays>[number] | undefined) => {
    if (shown === undefined) return;
    outputs.push({
      data: nbformatBundle(shown.data),
      metadata: shown.metadata as Json,
      output_type: "display_data",
    });
  };
  if (actual.outputs === undefined) {
    stream("stdout", actual.stdout);
    stream("stderr", actual.stderr);
    for (const shown of actual.displays ?? []) display(shown);
  } else {
    // Streams are spans of the step's text; what lies past the last span of a stream (the marker
    // of a capped output) goes with that last span.
    const last = { stdout: -1, stderr: -1 };
    actual.outputs.forEach((o, i) => {
      if ("stream" in o) last[o.stream] = i;
    });
    actual.outputs.forEach((o, i) => {
      if (!("stream" in o)) return display(actual.displays?.[o.display]);
      const text = actual[o.stream];
      stream(o.stream, text.slice(o.start, i === last[o.stream] ? text.length : o.end));
    });
  }
  if (actual.status === "ok" && actual.repr !== undefined && !hideValue) {
    outputs.push({
      data: nbformatBundle(actual.data ?? { "text/plain": actual.repr }),
      execution_count: count,
      metadata: {},
      output_type: "execute_result",
    });
  }
  if (actual.error) {
    const { type, message, traceback } = actual.error;
    outputs.push({
      ename: type,
      evalue: message,
      output_type: "error",
      // Jupyter stores the traceback as a list of lines, without their newlines.
      traceback: traceback ? traceback.replace(/\n$/, "").split("\n") : [`${type}: ${message}`],
    });
  }
  return outputs;
}

/**
 * A MIME bundle as nbformat stores it: binary data (images) as base64 ending in a newline, text split into lines,
 * JSON types as they are.
 */
function nbformatBundle(bundle: Record<string, unknown>): Json {
  const out: Record<string, Json> = {};
  for (const [mime, value] of Object.entries(bundle)) {
    const kind = mimeKind(mime);
    out[mime] = value instanceof Uint8Array
      ? `${Buffer.from(value).toString("base64")}\n` // as IPython stores it (binascii.b2a_base64)
      : kind === "json"
      ? value as Json
      : splitLinesLikePython(String(value));
  }
  return out;
}

/** True when the file starts with a UTF-8 byte order mark. */
async function startsWithBom(file: string): Promise<boolean> {
  using handle = await Deno.open(file);
  const head = new Uint8Array(3);
  const read = await handle.read(head);
  return read === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
}

/** The whitespace that starts the line `offset` is on. */
function indentOfLine(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))![0];
}
