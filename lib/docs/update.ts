/**
 * `--update` for documents: each failing example's expected output is replaced, in place, by what
 * the example printed (an exception as a doctest traceback block); every other byte of the file
 * (prose, fences, indentation, line endings) stays as it was.
 *
 * @module
 */

import { resolve } from "node:path";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import type { ScenarioReport, StepReport } from "../report/model.ts";
import { ScenarioChangedError } from "../scenario/errors.ts";
import { readTextFileStrict } from "../scenario/read_text.ts";
import type { ExecStep, Scenario } from "../scenario/types.ts";
import type { DocstringLiteral, DoctestRequest } from "../results.ts";

/** The failure kinds a doctest step reports; only they are rewritten. */
export const DOCTEST_FAILURE_KEY = "expected output";

/** One rewrite: an example, found by its source and old output, gets a new output. */
export interface ExampleRewrite {
  /** 1-based line of the example's `>>>` when the document was loaded. */
  line: number;
  /** The example's source (doctest's `Example.source`). */
  source: string;
  /** Its expected output as the document has it. */
  want: string;
  /** The output to write instead. */
  newWant: string;
  /** The indentation of the `>>>`. */
  indent: number;
}

// Rewrites of one file wait for each other: the docstrings of a module are scenarios of their own.
const pending = new Map<string, Promise<unknown>>();
// Each document's text as it was loaded (then as --update last wrote it), by absolute path.
const loadedTexts = new Map<string, string>();

/**
 * Remembers `text` as what `file` held when its scenarios were made: `--update` writes the file
 * only while it still holds that text (or what the update wrote itself), so a document edited
 * during the run is left alone.
 */
export function rememberDocumentText(file: string, text: string): void {
  loadedTexts.set(resolve(file), text);
}

/**
 * Writes the actual outputs of `report`'s failing examples into `scenario`'s document. The steps
 * rewritten become `passed` with `updated: true`; the file is written atomically, and only when
 * something changed.
 *
 * @returns true when the file changed.
 * @throws {ScenarioChangedError} when an example is no longer where (and what) it was.
 */
export function updateDoctestDocument(
  scenario: Scenario,
  report: ScenarioReport,
): Promise<boolean> {
  const file = scenario.file;
  const run = (pending.get(file) ?? Promise.resolve()).then(() => update(scenario, report));
  pending.set(file, run.catch(() => {}));
  return run;
}

async function update(scenario: Scenario, report: ScenarioReport): Promise<boolean> {
  const rewrites: { rewrite: ExampleRewrite; step: StepReport }[] = [];
  const refused: string[] = [];
  for (const step of report.steps) {
    const source = scenario.steps[step.index];
    if (step.status !== "failed" || source?.kind !== "exec" || !source.doctest) continue;
    const failure = step.failures.find((f) => f.key === DOCTEST_FAILURE_KEY);
    if (failure?.actual === undefined || step.failures.length !== 1 || step.error) continue;
    const literal = source.doctest.docstring;
    // A doctest failure with no exception comes back as a DocTestFailure error.
    const raised = (step.actual?.error?.type ?? "DocTestFailure") !== "DocTestFailure";
    const why = unwritable(failure.actual, scenario.source === "markdown", raised) ??
      unwritableUnder(failure.actual, source.doctest);
    const newWant = why
      ? { why }
      : literal
      ? docstringText(failure.actual, literal)
      : failure.actual;
    if (typeof newWant === "object") {
      refused.push(`${scenario.file}:${source.line}: ${newWant.why}`);
    } else rewrites.push({ rewrite: { ...rewriteOf(source, failure.actual), newWant }, step });
  }
  // Examples no rewrite can fix are said so (they still fail); the others are written.
  if (refused.length > 0) {
    report.updateError = [...(report.updateError ? [report.updateError] : []), ...refused]
      .join("; ");
  }
  if (rewrites.length === 0) return false;
  const before = await readTextFileStrict(scenario.file);
  const loaded = loadedTexts.get(resolve(scenario.file));
  if (loaded !== undefined && loaded !== before) throw new ScenarioChangedError(scenario.file);
  const after = rewriteExamples(before, rewrites.map((r) => r.rewrite), scenario.file);
  if (after === before) return false;
  loadedTexts.set(resolve(scenario.file), after);
  // The decoder drops a byte order mark; the file keeps its own.
  await writeTextFileAtomic(scenario.file, (await hasBom(scenario.file) ? "\uFEFF" : "") + after);
  for (const { step } of rewrites) {
    step.status = "passed";
    step.updated = true;
    step.failures = [];
  }
  report.updated = true;
  report.expectationsWritten = (report.expectationsWritten ?? 0) + rewrites.length;
  report.status = report.steps.some((s) => s.status === "failed") ? "failed" : "passed";
  return true;
}

/**
 * Why no expected output can say `want`, if so: a line starting with `>>>` starts a new example
 * for doctest, a first line starting with `...` continues the example's source, a carriage return
 * is a line break to doctest's reader, a printed traceback is read as an expected exception, and
 * in Markdown a line of backticks or tildes alone would close the fence.
 */
function unwritable(want: string, markdown: boolean, raised: boolean): string | undefined {
  const lines = outputLines(want).map((l) => l.trim());
  if (
    !raised &&
    /^Traceback \((most recent call last|innermost last)\):[ \t]*\n/.test(want)
  ) {
    return "cannot update this example: it printed a traceback but raised nothing, and doctest " +
      "reads an expected output starting with 'Traceback (most recent call last):' as an " +
      "exception; no expected output can say it";
  }
  if (lines.some((l) => l.startsWith(">>>")) || lines[0]?.startsWith("...")) {
    return "cannot update this example: doctest would read its output as source (a line " +
      "starting with >>>, or a first line starting with ...); no expected output can say it";
  }
  if (want.includes("\r")) {
    return "cannot update this example: its output holds a carriage return (\\r), which the " +
      "document would read as a line break; no expected output can say it";
  }
  if (markdown && lines.some((l) => /^(`{3,}|~{3,})$/.test(l))) {
    return "cannot update this example: a line of its output (a fence of ``` or ~~~) would " +
      "close the Markdown fence; update it by hand";
  }
  return undefined;
}

/** Whether doctest's flag `name` applies to the example: its own directive, else the run's. */
function flagOn(doctest: DoctestRequest, name: string): boolean {
  return doctest.options?.[name] ?? (doctest.runOptions ?? []).includes(name);
}

/**
 * Why no expected output can say `want` under the example's option flags, if so: doctest expands
 * the tabs of a document before parsing it, so a tab printed matches only with
 * NORMALIZE_WHITESPACE; with DONT_ACCEPT_BLANKLINE an empty line printed cannot be said (an empty
 * line ends the expected output, and `<BLANKLINE>` is then taken literally).
 */
function unwritableUnder(want: string, doctest: DoctestRequest): string | undefined {
  if (want.includes("\t") && !flagOn(doctest, "NORMALIZE_WHITESPACE")) {
    return "cannot update this example: its output holds a tab, which doctest reads as spaces " +
      "in the document (add # doctest: +NORMALIZE_WHITESPACE); no expected output can say it";
  }
  if (
    flagOn(doctest, "DONT_ACCEPT_BLANKLINE") && outputLines(want).some((l) => l.trim() === "")
  ) {
    return "cannot update this example: it printed an empty line, which ends the expected " +
      "output, and DONT_ACCEPT_BLANKLINE takes <BLANKLINE> literally; no expected output can say it";
  }
  return undefined;
}

/**
 * `want` as a docstring's text must say it, or why it cannot: a non-raw docstring needs its
 * backslashes doubled and its closing quotes escaped; an example written with escape sequences
 * is not found as doctest runs it.
 */
function docstringText(want: string, literal: DocstringLiteral): string | { why: string } {
  if (!literal.verbatim) {
    return {
      why: literal.raw
        ? "cannot update this example: its text in the file is not the docstring's (a docstring " +
          "built at run time?); update it by hand"
        : "cannot update an example in a docstring with escape sequences (\\n, \\t, \\\\...): " +
          `its text in the file is not the text doctest runs; make it a raw docstring (r${literal.quote}...${literal.quote}) ` +
          "and run --update again",
    };
  }
  if (!literal.raw) {
    const escaped = want.replaceAll("\\", "\\\\");
    return literal.quote.length === 3
      ? escaped.replaceAll(literal.quote, `\\${literal.quote}`)
      : escaped;
  }
  if (want.includes(literal.quote)) {
    return {
      why: `cannot update this example: its new output holds ${literal.quote}, which would end ` +
        "the raw docstring; update it by hand",
    };
  }
  return want;
}

/** True when the file starts with a UTF-8 byte order mark. */
async function hasBom(path: string): Promise<boolean> {
  const file = await Deno.open(path);
  try {
    const head = new Uint8Array(3);
    const n = await file.read(head);
    return n === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  } finally {
    file.close();
  }
}

function rewriteOf(step: ExecStep, newWant: string): ExampleRewrite {
  const doctest = step.doctest!;
  return {
    line: step.line,
    source: step.code,
    want: doctest.want,
    newWant,
    indent: doctest.indent ?? 0,
  };
}

/**
 * `text` with each example's expected output replaced. An example is found by its source and
 * old output at its line, or the nearest line that has them (an earlier rewrite of the same file
 * may have moved it).
 *
 * @throws {ScenarioChangedError} when an example cannot be found.
 * @example
 * ```ts
 * import { rewriteExamples } from "./update.ts";
 * const text = "~~~pycon\r\n>>> 1 + 1\r\n3\r\n~~~\r\n";
 * const out = rewriteExamples(text, [{ line: 2, source: "1 + 1\n", want: "3\n", newWant: "2\n", indent: 0 }], "x.md");
 * if (out !== "~~~pycon\r\n>>> 1 + 1\r\n2\r\n~~~\r\n") throw new Error(out);
 * ```
 */
export function rewriteExamples(text: string, rewrites: ExampleRewrite[], file: string): string {
  // The file's lines are searched as they were read and copied once, rewrites in between: linear
  // in the file's size however many examples change (a splice per example was quadratic).
  // Line endings as Python reads them: \n, \r\n, and a lone \r (a file saved with CR endings).
  const lines = text.split(/(?<=\n|\r(?!\n))/);
  const out: string[] = [];
  let cursor = 0;
  const copyUpTo = (end: number) => {
    for (; cursor < end; cursor++) out.push(lines[cursor]);
  };
  for (const rewrite of [...rewrites].sort((a, b) => a.line - b.line)) {
    const prompts = promptLines(rewrite.source);
    const old = outputLines(rewrite.want);
    const at = find(lines, [...prompts, ...old], rewrite.indent, rewrite.line - 1, cursor);
    if (at === undefined) throw new ScenarioChangedError(file);
    const wantStart = at + prompts.length;
    const eol = EOL.exec(lines[at])?.[0] ?? "\n";
    const pad = prefixOfWidth(lines[at], rewrite.indent);
    const fresh = outputLines(rewrite.newWant).map((l) => `${l === "" ? "" : pad}${l}${eol}`);
    copyUpTo(wantStart);
    // The last line of a file may have no line ending, and keeps having none.
    if (wantStart + old.length >= lines.length && !EOL.test(lines[lines.length - 1] ?? "\n")) {
      if (fresh.length > 0) {
        if (old.length === 0) out[out.length - 1] += eol;
        fresh[fresh.length - 1] = fresh[fresh.length - 1].slice(0, -eol.length);
      } else if (old.length > 0) out[out.length - 1] = out[out.length - 1].replace(EOL, "");
    }
    for (const line of fresh) out.push(line);
    cursor = wantStart + old.length;
  }
  copyUpTo(lines.length);
  return out.join("");
}

/** A line's ending: `\r\n`, `\n` or `\r`. */
const EOL = /(?:\r\n|\n|\r)$/;

/** The document's lines of an example's source: `>>> first`, `... next` (no indentation). */
function promptLines(source: string): string[] {
  return source.replace(/\n$/, "").split("\n").map((l, i) =>
    `${i === 0 ? ">>>" : "..."}${l === "" ? "" : ` ${l}`}`
  );
}

/** The lines of an expected output (no trailing empty line). */
function outputLines(want: string): string[] {
  return want === "" ? [] : want.replace(/\n$/, "").split("\n");
}

/** The index (`from` or later) of the line where `expected` starts, searching outward from `near`. */
function find(
  lines: string[],
  expected: string[],
  indent: number,
  near: number,
  from: number,
): number | undefined {
  const matches = (start: number) =>
    expected.every((want, i) => {
      const line = lines[start + i];
      if (line === undefined) return false;
      // doctest reads tabs as spaces to the next multiple of 8 columns.
      const body = expandTabs(line.replace(EOL, ""));
      // Before the `>>>`: indentation, or a blockquote's `> ` markers (kept as they are).
      return body.slice(indent).trimEnd() === want.trimEnd() &&
        /^[ >]*$/.test(body.slice(0, indent));
    });
  for (let d = 0; d < lines.length; d++) {
    if (near - d >= from && matches(near - d)) return near - d;
    if (d > 0 && near + d < lines.length && matches(near + d)) return near + d;
  }
  return undefined;
}

/** `line` with its tabs expanded to 8 columns, as Python's `str.expandtabs()`. */
function expandTabs(line: string): string {
  if (!line.includes("\t")) return line;
  let out = "";
  for (const c of line) out += c === "\t" ? " ".repeat(8 - (out.length % 8)) : c;
  return out;
}

/** The start of `line` that spans `width` columns (tabs to multiples of 8): an example's indentation. */
function prefixOfWidth(line: string, width: number): string {
  let column = 0;
  let i = 0;
  for (; i < line.length && column < width; i++) {
    column = line[i] === "\t" ? column + 8 - (column % 8) : column + 1;
  }
  return line.slice(0, i);
}
