/**
 * Output normalizers: rewrite volatile parts of an output (addresses, colors, trailing spaces)
 * so that it compares equal across runs. Both the output and the expectation are normalized.
 *
 * @module
 */

import { compileRegex } from "./regex.ts";
import type { Normalizer } from "./types.ts";

const ADDRESS = /0x[0-9a-fA-F]+/g;
// CSI sequences (colors, cursor moves) and OSC sequences (titles, links).
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const TRAILING_SPACE = /[ \t\r]+$/gm;

/**
 * Applies `normalizers` to `text`, in order.
 *
 * - `addresses`: every `0x` hex number becomes `0x...` (`<object at 0x7f3a9c>` -> `<object at 0x...>`).
 * - `trailing_whitespace`: spaces and tabs at the end of each line go, and so do trailing newlines.
 * - `ansi`: terminal escape sequences (colors, cursor moves, titles) go.
 * - `sorted_sets`: the elements of each set shown as Python shows one (`{'b', 'a'}`, also inside
 *   `frozenset(...)` and nested) are sorted as text, so a set compares equal whatever order the
 *   interpreter printed it in (IPython, and so notebooks, print sets sorted).
 * - `{ regex, replace }`: every match of `regex` is replaced, as Python's `re.sub` does (`\1` and
 *   `\g<name>` refer to groups); the regex runs in linear time (see `regex.ts`).
 *
 * @example
 * ```ts
 * import { normalize } from "./normalize.ts";
 * normalize("<A at 0x7f3a9c10>  \n", ["addresses", "trailing_whitespace"]); // "<A at 0x...>"
 * ```
 */
export function normalize(text: string, normalizers: readonly Normalizer[]): string {
  let out = text;
  for (const n of normalizers) {
    if (n === "addresses") out = out.replace(ADDRESS, "0x...");
    else if (n === "ansi") out = out.replace(ANSI, "");
    else if (n === "trailing_whitespace") out = out.replace(TRAILING_SPACE, "").replace(/\n+$/, "");
    else if (n === "sorted_sets") out = sortSetElements(out);
    else out = compileRegex(n.regex).replaceAll(out, n.replace);
  }
  return out;
}

const OPENERS: Record<string, string> = { "{": "}", "[": "]", "(": ")" };

/**
 * `text` with the elements of every set display sorted: a `{...}` whose top level holds commas
 * or one element and no `:` (a dict has one), inner ones first. Quotes (with backslash escapes)
 * and brackets are followed, so a `,` or `}` inside a string or a nested container never splits.
 */
function sortSetElements(text: string): string {
  return rewrite(0, text.length);

  /** The span [start, end) of `text`, rewritten. */
  function rewrite(start: number, end: number): string {
    let out = "";
    let i = start;
    while (i < end) {
      const c = text[i];
      if (c === "'" || c === '"') {
        const close = skipString(i, end);
        out += text.slice(i, close);
        i = close;
      } else if (c === "{") {
        const close = matching(i, end);
        if (close === -1) {
          out += text.slice(i, end);
          break;
        }
        const inner = rewrite(i + 1, close);
        out += `{${isSet(inner) ? splitTop(inner).map((e) => e.trim()).sort().join(", ") : inner}}`;
        i = close + 1;
      } else {
        out += c;
        i++;
      }
    }
    return out;
  }

  /** The index just past the string literal starting at `i` (its end, when unterminated). */
  function skipString(i: number, end: number): number {
    const quote = text[i];
    let j = i + 1;
    while (j < end && text[j] !== quote && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
    return Math.min(j + 1, end);
  }

  /** The index of the bracket closing the one at `i`, or -1. */
  function matching(i: number, end: number): number {
    const stack = [OPENERS[text[i]]];
    let j = i + 1;
    while (j < end) {
      const c = text[j];
      if (c === "'" || c === '"') {
        j = skipString(j, end);
        continue;
      }
      if (c in OPENERS) stack.push(OPENERS[c]);
      else if (c === stack[stack.length - 1]) {
        stack.pop();
        if (stack.length === 0) return j;
      } else if (c === "}" || c === "]" || c === ")") return -1; // unbalanced: not a display
      j++;
    }
    return -1;
  }
}

/** True when `inner`, the text between a set display's braces, is a set's: no top-level `:`. */
function isSet(inner: string): boolean {
  return inner.trim() !== "" && splitTop(inner, ":").length === 1;
}

/** `text` split at each top-level `separator` (outside strings and brackets). */
function splitTop(text: string, separator = ","): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c in OPENERS) depth++;
    else if (c === "}" || c === "]" || c === ")") depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(text.slice(last));
  return parts;
}
