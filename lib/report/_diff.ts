/**
 * Expected-against-actual rendering for failed expectations: a unified diff for multi-line
 * text, two labelled lines for short values.
 *
 * @module
 */

import { structuredPatch } from "npm:diff@9.0.0";
import type { Colors } from "./_colors.ts";
import { pythonString } from "./_python_repr.ts";

/**
 * Renders `expected` against `actual` as lines (without indentation).
 *
 * Single-line texts (a final line break allowed) become `expected: …` / `actual:   …`, each
 * shown through `show` (default: as a Python string literal, `'hi\n'`; pass `(t) => t` for
 * text that is already a repr); anything longer becomes the hunks of a unified diff (`-`
 * expected, `+` actual) with three lines of context.
 */
export function renderDiff(
  expected: string,
  actual: string,
  colors: Colors,
  show: (text: string) => string = pythonString,
): string[] {
  if (isOneLine(expected) && isOneLine(actual)) {
    const [left, right] = [show(expected), show(actual)];
    const from = firstDifference(left, right);
    return [
      colors.red(`- expected: ${clipLine(left, from)}`),
      colors.green(`+ actual:   ${clipLine(right, from)}`),
    ];
  }
  // A missing final newline on one side only is a real difference; otherwise add it to both so
  // the diff does not end with two "\ No newline at end of file" markers.
  const onlyNewline = expected + "\n" === actual || actual + "\n" === expected;
  const [left, right] = onlyNewline
    ? [expected, actual]
    : [withNewline(expected), withNewline(actual)];
  const patch = structuredPatch("expected", "actual", left, right, undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  const lines = [colors.red("- expected"), colors.green("+ actual")];
  const hunks = patch?.hunks ?? [wholeTexts(left, right)];
  let shown = 0;
  let hidden = 0;
  for (const hunk of hunks) {
    if (shown >= MAX_DIFF_LINES) {
      hidden += hunk.lines.length;
      continue;
    }
    const note = patch === undefined ? " (too different to align: both texts whole)" : "";
    lines.push(
      colors.cyan(
        `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@${note}`,
      ),
    );
    for (const line of hunk.lines) {
      if (shown++ < MAX_DIFF_LINES) lines.push(colorLine(clipLine(line, 0), colors));
      else hidden++;
    }
  }
  if (hidden > 0) {
    lines.push(colors.dim(`… ${hidden} more diff lines (the JSON report holds the whole texts)`));
  }
  return lines;
}

/**
 * Beyond this many inserted and deleted lines the texts are not aligned (Myers' diff costs
 * lines x edits: two different 10,000-line outputs took 26 s); both are shown whole instead.
 */
export const MAX_EDIT_LENGTH = 1000;

/** The most diff lines a failure shows; the rest are counted. */
export const MAX_DIFF_LINES = 400;

/** The most characters of one line a failure shows; the rest are counted. */
export const MAX_LINE_CHARS = 2000;

/** Where `a` and `b` first differ (the shorter length when one is a prefix of the other). */
function firstDifference(a: string, b: string): number {
  const end = Math.min(a.length, b.length);
  let i = 0;
  while (i < end && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * `line` within MAX_LINE_CHARS, showing the part from a little before `from` (where two lines
 * differ), with what is left out counted at either end.
 */
function clipLine(line: string, from: number): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  const start = Math.max(0, Math.min(from - 200, line.length - MAX_LINE_CHARS));
  const end = start + MAX_LINE_CHARS;
  const before = start > 0 ? `[… ${start} characters] ` : "";
  const after = end < line.length ? ` [… ${line.length - end} more characters]` : "";
  return before + line.slice(start, end) + after;
}

/** One hunk of every line of `left` removed and every line of `right` added. */
function wholeTexts(left: string, right: string) {
  const split = (text: string) => text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const [removed, added] = [split(left), split(right)];
  return {
    oldStart: 1,
    oldLines: removed.length,
    newStart: 1,
    newLines: added.length,
    lines: [...removed.map((l) => `-${l}`), ...added.map((l) => `+${l}`)],
  };
}

/** One line of text, with or without its line break. */
function isOneLine(text: string): boolean {
  return !text.replace(/\n$/, "").includes("\n");
}

function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : text + "\n";
}

function colorLine(line: string, colors: Colors): string {
  if (line.startsWith("-")) return colors.red(line);
  if (line.startsWith("+")) return colors.green(line);
  if (line.startsWith("\\")) return colors.dim(line);
  return line;
}
