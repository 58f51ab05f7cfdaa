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
    else out = compileRegex(n.regex).replaceAll(out, n.replace);
  }
  return out;
}
