/**
 * Expected against actual as HTML for the HTML report: a unified line diff whose changed lines
 * mark the changed characters (`<del>` on the expected side, `<ins>` on the actual side).
 *
 * @module
 */

import { diffChars, diffLines } from "npm:diff@9.0.0";
import { escapeHtml } from "./_html_escape.ts";

/** Above this many characters per side, changed lines are shown whole, not character by character. */
const CHAR_DIFF_LIMIT = 20_000;

/**
 * A `<pre class="diff">` of `expected` against `actual`: `-` lines for the expected side, `+`
 * lines for the actual side, the characters that differ inside them marked.
 */
export function htmlDiff(expected: string, actual: string): string {
  const parts = diffLines(expected, actual);
  const lines: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const next = parts[i + 1];
    if (part.removed && next?.added) {
      const [removed, added] = pairedLines(part.value, next.value);
      lines.push(...removed, ...added);
      i++;
    } else if (part.removed) {
      lines.push(...wrapLines(part.value, "del", "-", [{ text: part.value, changed: false }]));
    } else if (part.added) {
      lines.push(...wrapLines(part.value, "ins", "+", [{ text: part.value, changed: false }]));
    } else {
      lines.push(...wrapLines(part.value, "same", " ", [{ text: part.value, changed: false }]));
    }
  }
  return `<pre class="diff" aria-label="expected (-) against actual (+)">${lines.join("")}</pre>`;
}

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
  for (const change of diffChars(removed, added)) {
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
