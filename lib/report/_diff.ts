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
    return [
      colors.red(`- expected: ${show(expected)}`),
      colors.green(`+ actual:   ${show(actual)}`),
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
  });
  const lines = [colors.red("- expected"), colors.green("+ actual")];
  for (const hunk of patch.hunks) {
    lines.push(
      colors.cyan(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`),
    );
    for (const line of hunk.lines) lines.push(colorLine(line, colors));
  }
  return lines;
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
