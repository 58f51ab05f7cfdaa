/**
 * JSON as nbformat writes it: Python's `json.dumps(nb, indent=1, sort_keys=True,
 * ensure_ascii=False, separators=(",", ": "))`, multi-line text split into lists of lines as
 * `str.splitlines(keepends=True)` splits them. Used to write outputs into a notebook in place,
 * so that a notebook nbformat wrote reads back byte for byte as nbformat would write it.
 *
 * @module
 */

/** A JSON value as the notebook writer handles it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * `value` as Python's `json.dumps` writes it with `indent` and sorted keys, its nested lines
 * starting with `indent` (the indentation of the line the value starts on) plus `unit` per level.
 *
 * @example
 * ```ts
 * import { dumpsLikePython } from "./_nbjson.ts";
 * const text = dumpsLikePython({ b: [], a: ["x"] }, { indent: "", unit: " " });
 * if (text !== '{\n "a": [\n  "x"\n ],\n "b": []\n}') throw new Error(text);
 * ```
 */
export function dumpsLikePython(
  value: Json,
  options: { indent: string; unit: string; newline?: string },
): string {
  const nl = options.newline ?? "\n";
  const dump = (v: Json, indent: string): string => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    const inner = indent + options.unit;
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      return `[${nl}${v.map((item) => inner + dump(item, inner)).join(`,${nl}`)}${nl}${indent}]`;
    }
    const keys = Object.keys(v).sort(byCodePoint);
    if (keys.length === 0) return "{}";
    const items = keys.map((k) => `${inner}${JSON.stringify(k)}: ${dump(v[k], inner)}`);
    return `{${nl}${items.join(`,${nl}`)}${nl}${indent}}`;
  };
  return dump(value, options.indent);
}

/** Python sorts keys by code point; JavaScript's default sort compares UTF-16 units. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

// Python's str.splitlines() boundaries: \r\n, \n, \r, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029.
// deno-lint-ignore no-control-regex
const LINE = /[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])?/gy;

/**
 * `text.splitlines(keepends=True)` as Python computes it: how nbformat stores multi-line text.
 *
 * @example
 * ```ts
 * import { splitLinesLikePython } from "./_nbjson.ts";
 * const lines = splitLinesLikePython("a\nb\r\nc");
 * if (lines.join("|") !== "a\n|b\r\n|c") throw new Error(lines.join("|"));
 * ```
 */
export function splitLinesLikePython(text: string): string[] {
  const lines: string[] = [];
  LINE.lastIndex = 0;
  while (LINE.lastIndex < text.length) {
    const match = LINE.exec(text);
    if (match === null || match[0] === "") break;
    lines.push(match[0]);
  }
  return lines;
}
