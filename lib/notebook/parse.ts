/**
 * Reading a Jupyter notebook (nbformat 4) into its code cells: source, tags, saved outputs, and
 * where each cell sits in the JSON text. Notebooks of another format version or of a kernel
 * that is not Python are refused here, before anything runs.
 *
 * @module
 */

import { type ScenarioIssue, ScenarioValidationError } from "../scenario/errors.ts";
import { LineIndex, pathKey, type Span, valueSpans } from "./_json_spans.ts";

/** One saved output of a code cell, as nbformat 4 stores it (multi-line text joined). */
export type NotebookOutput =
  | { output_type: "stream"; name: string; text: string }
  | {
    output_type: "execute_result" | "display_data";
    data: Record<string, unknown>;
    metadata?: Record<string, unknown>;
  }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** One code cell of a notebook. */
export interface CodeCell {
  /** 0-based position among all the notebook's cells (markdown and raw ones included). */
  cellIndex: number;
  /** The cell's source, its lines joined. */
  source: string;
  /** The cell's tags (`metadata.tags`), e.g. `skip`, `raises-exception`. */
  tags: string[];
  /** The outputs saved in the notebook. */
  outputs: NotebookOutput[];
  /** 1-based line and column of each source line in the JSON text (of the first when one string). */
  sourceLines: { line: number; column: number }[];
  /** Where the `outputs` value is in the text. */
  outputsSpan: Span;
  /** Where the `execution_count` value is in the text. */
  countSpan: Span;
}

/** A parsed notebook. */
export interface ParsedNotebook {
  /** The code cells, in order. */
  cells: CodeCell[];
  /** The indentation unit of the file (one space when nbformat wrote it). */
  indentUnit: string;
}

const PYTHON_NAMES = /^(python|python[23](\.\d+)?|ipython[23]?|py|pypy3?)$/i;

/**
 * Parses the text of the notebook `file`.
 *
 * @throws {ScenarioValidationError} when the text is not JSON, not nbformat 4, or names a
 * kernel that is not Python; the issue is at the line of the offending value.
 * @example
 * ```ts
 * import { parseNotebook } from "./parse.ts";
 * const nb = parseNotebook(
 *   '{"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],' +
 *     ' "source": ["1 + 1"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
 *   "demo.ipynb",
 * );
 * if (nb.cells[0].source !== "1 + 1") throw new Error(nb.cells[0].source);
 * ```
 */
export function parseNotebook(source: string, file: string): ParsedNotebook {
  // A byte order mark read as text is parsed as the space it stands for (offsets stay).
  const text = source.startsWith("\ufeff") ? ` ${source.slice(1)}` : source;
  const lines = new LineIndex(text);
  const fail = (message: string, offset = 0): never => {
    throw new ScenarioValidationError([{ file, ...lines.at(offset), message }]);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const position = Number(/position (\d+)/.exec(String(e))?.[1] ?? 0);
    // A trailing comma is reported where the parser stopped, after it: point at the comma.
    const before = text.slice(0, position).trimEnd();
    if (/^[}\]]/.test(text.slice(position).trimStart()) && before.endsWith(",")) {
      fail("not a notebook: the file is not valid JSON (a trailing comma)", before.length - 1);
    }
    fail(`not a notebook: the file is not valid JSON (${(e as Error).message})`, position);
  }
  if (isObject(data) && typeof data.nbformat === "number" && data.nbformat !== 4) {
    fail(
      `unsupported notebook format: nbformat ${data.nbformat}; only nbformat 4 is read ` +
        `(convert it with 'jupyter nbconvert --to notebook --nbformat 4')`,
    );
  }
  if (!isObject(data) || !Array.isArray(data.cells)) {
    fail("not a notebook: expected a JSON object with a 'cells' list (nbformat 4)");
  }
  const nb = data as Record<string, unknown> & { cells: unknown[] };
  // Spans of the root's keys, the cells, each cell's keys and source lines: never inside outputs.
  const spans = valueSpans(
    text,
    (p) => p.length === 1 || (p[0] === "cells" && p.length <= 4),
    (p) => p.length < 2 || (p[0] === "cells" && (p.length < 3 || p[2] === "source")),
  );
  const at = (path: (string | number)[]) => spans.get(pathKey(path))?.start ?? 0;
  if (nb.nbformat !== 4) {
    fail(
      `unsupported notebook format: nbformat ${JSON.stringify(nb.nbformat)}; only nbformat 4 ` +
        `is read (convert it with 'jupyter nbconvert --to notebook')`,
      at(["nbformat"]),
    );
  }
  checkKernel(nb.metadata, (message) => fail(message, at(["metadata"])));
  const issues: ScenarioIssue[] = [];
  const cells: CodeCell[] = [];
  nb.cells.forEach((raw, cellIndex) => {
    if (!isObject(raw) || raw.cell_type !== "code") return;
    const where = (key: string) => at(["cells", cellIndex, key]);
    const bad = (message: string, key: string) =>
      issues.push({ file, ...lines.at(where(key)), message: `cell ${cellIndex + 1}: ${message}` });
    const source = joined(raw.source);
    const outputs = Array.isArray(raw.outputs) ? raw.outputs.map(outputOf) : [];
    if (source === undefined) return bad("'source' is not text or a list of lines", "source");
    if (outputs.some((o) => o === undefined)) return bad("an output is not nbformat 4", "outputs");
    const metadata = isObject(raw.metadata) ? raw.metadata : {};
    const tags = Array.isArray(metadata.tags)
      ? metadata.tags.filter((t) => typeof t === "string")
      : [];
    const outputsSpan = spans.get(pathKey(["cells", cellIndex, "outputs"]));
    const countSpan = spans.get(pathKey(["cells", cellIndex, "execution_count"]));
    if (!outputsSpan || !countSpan) {
      return bad("a code cell needs 'outputs' and 'execution_count' (nbformat 4)", "source");
    }
    const sourceLines = Array.isArray(raw.source) && raw.source.length > 0
      ? raw.source.map((_, k) => lines.at(at(["cells", cellIndex, "source", k]) + 1))
      : [lines.at(where("source") + (typeof raw.source === "string" ? 1 : 0))];
    cells.push({
      cellIndex,
      source,
      tags,
      outputs: outputs as NotebookOutput[],
      sourceLines,
      outputsSpan,
      countSpan,
    });
  });
  if (issues.length > 0) throw new ScenarioValidationError(issues);
  return { cells, indentUnit: indentUnitOf(text) };
}

/** Refuses a notebook whose kernel or language is not Python (absent metadata is taken as Python). */
function checkKernel(metadata: unknown, fail: (message: string) => never): void {
  if (!isObject(metadata)) return;
  const spec = isObject(metadata.kernelspec) ? metadata.kernelspec : {};
  const info = isObject(metadata.language_info) ? metadata.language_info : {};
  const named = [
    ["kernelspec.language", spec.language],
    ["language_info.name", info.name],
  ].filter(([, v]) => typeof v === "string") as [string, string][];
  // The kernel's name is free text (`conda-env-x-py`), so it decides only when no language is given.
  if (named.length === 0 && typeof spec.name === "string") {
    named.push(["kernelspec.name", spec.name]);
  }
  for (const [key, value] of named) {
    if (key === "kernelspec.name" ? /py/i.test(value) : PYTHON_NAMES.test(value)) continue;
    fail(
      `the notebook's kernel is not Python (metadata ${key} is ${JSON.stringify(value)}): ` +
        `PyREPL3 runs Python notebooks only`,
    );
  }
}

/** nbformat stores multi-line text as a list of lines; joined, or undefined when neither form. */
function joined(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join("");
  return undefined;
}

function outputOf(raw: unknown): NotebookOutput | undefined {
  if (!isObject(raw)) return undefined;
  switch (raw.output_type) {
    case "stream": {
      const text = joined(raw.text);
      return typeof raw.name === "string" && text !== undefined
        ? { output_type: "stream", name: raw.name, text }
        : undefined;
    }
    case "execute_result":
    case "display_data": {
      if (!isObject(raw.data)) return undefined;
      const data: Record<string, unknown> = {};
      for (const [mime, value] of Object.entries(raw.data)) data[mime] = joined(value) ?? value;
      return { output_type: raw.output_type, data };
    }
    case "error":
      return typeof raw.ename === "string"
        ? {
          output_type: "error",
          ename: raw.ename,
          evalue: String(raw.evalue ?? ""),
          traceback: Array.isArray(raw.traceback) ? raw.traceback.map(String) : [],
        }
        : undefined;
    default:
      return undefined;
  }
}

/** The whitespace before the first key of the root object: nbformat writes one space. */
function indentUnitOf(text: string): string {
  const match = /^\{\r?\n([ \t]+)"/.exec(text);
  return match ? match[1] : " ";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
