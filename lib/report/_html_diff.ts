/**
 * Expected against actual as HTML for the HTML report: a unified line diff whose changed lines
 * mark the changed characters (`<del>` on the expected side, `<ins>` on the actual side).
 *
 * @module
 */

import { diffChars, diffLines } from "npm:diff@9.0.0";
import { escapeHtml } from "./_html_escape.ts";
import { MAX_EDIT_LENGTH } from "./_diff.ts";

/** Above this many characters per side, changed lines are shown whole, not character by character. */
const CHAR_DIFF_LIMIT = 20_000;

/**
 * A `<pre class="diff">` of `expected` against `actual`: `-` lines for the expected side, `+`
 * lines for the actual side, the characters that differ inside them marked.
 */
export function htmlDiff(expected: string, actual: string): string {
  // Texts too different to align cheaply are shown whole: all expected, then all actual.
  const parts = diffLines(expected, actual, { maxEditLength: MAX_EDIT_LENGTH }) ??
    [{ value: expected, removed: true, added: false }, {
      value: actual,
      removed: false,
      added: true,
    }];
  let lines: string[] = [];
  // concat, not push(...): a spread of 200,000 lines overflowed the stack.
  const add = (more: string[]) => lines = lines.concat(more);
  for (let i = 0; i < parts.length && lines.length < MAX_HTML_DIFF_LINES; i++) {
    const part = parts[i];
    const next = parts[i + 1];
    if (part.removed && next?.added) {
      const [removed, added] = pairedLines(part.value, next.value);
      add(removed);
      add(added);
      i++;
    } else if (part.removed) {
      add(wrapLines(part.value, "del", "-", [{ text: part.value, changed: false }]));
    } else if (part.added) {
      add(wrapLines(part.value, "ins", "+", [{ text: part.value, changed: false }]));
    } else {
      add(wrapLines(part.value, "same", " ", [{ text: part.value, changed: false }]));
    }
  }
  const hidden = Math.max(0, lines.length - MAX_HTML_DIFF_LINES);
  const shown = hidden > 0 ? lines.slice(0, MAX_HTML_DIFF_LINES) : lines;
  const more = hidden > 0
    ? `<span class="line same">… ${hidden} more diff lines (the JSON report holds the whole texts)\n</span>`
    : "";
  return `<pre class="diff" aria-label="expected (-) against actual (+)">${
    shown.join("")
  }${more}</pre>`;
}

/** The most diff lines a failure shows in the page (a browser slows down on far more). */
const MAX_HTML_DIFF_LINES = 2000;

interface Segment {
  text: string;
  changed: boolean;
}

/** A removed block followed by an added one: the characters that differ are marked on each. */
function pairedLines(removed: string, added: string): [string[], string[]] {
  if (removed.length > CHAR_DIFF_LIMIT || added.length > CHAR_DIFF_LIMIT) {
    return [
      wrapLines(removed, "del", "-", [{ text: removed, changed: false }]),
      wrapLines(added, "ins", "+", [{ text: added, changed: false }]),
    ];
  }
  const left: Segment[] = [];
  const right: Segment[] = [];
  const changes = diffChars(removed, added, { maxEditLength: MAX_EDIT_LENGTH });
  if (changes === undefined) { // too different for marks to help
    return [
      wrapLines(removed, "del", "-", [{ text: removed, changed: false }]),
      wrapLines(added, "ins", "+", [{ text: added, changed: false }]),
    ];
  }
  for (const change of changes) {
    if (!change.added) left.push({ text: change.value, changed: change.removed });
    if (!change.removed) right.push({ text: change.value, changed: change.added });
  }
  return [wrapLines(removed, "del", "-", left), wrapLines(added, "ins", "+", right)];
}

/** One `<span class="line KIND">` per line of `segments`, marked characters inside `<mark>`. */
function wrapLines(whole: string, kind: string, sign: string, segments: Segment[]): string[] {
  const tag = kind === "del" ? "del" : "ins";
  const lines: string[] = [];
  let current = "";
  const close = () => {
    lines.push(`<span class="line ${kind}"><span class="sign">${sign}</span>${current}\n</span>`);
    current = "";
  };
  for (const { text, changed } of segments) {
    const pieces = text.split("\n");
    pieces.forEach((piece, n) => {
      if (n > 0) {
        // A changed line break is shown as a visible ⏎ so that "only a newline" diffs read.
        if (changed) current += `<${tag}>⏎</${tag}>`;
        close();
      }
      if (piece !== "") {
        current += changed ? `<${tag}>${escapeHtml(piece)}</${tag}>` : escapeHtml(piece);
      }
    });
  }
  if (current !== "" || !whole.endsWith("\n")) close();
  return lines;
}
