/**
 * Where each value of a JSON text sits: offsets of the values under chosen paths, so that a
 * notebook's cells can be reported at their line and their outputs replaced in place, every
 * other byte kept.
 *
 * @module
 */

/** The place of one value in the text: `text.slice(start, end)` is the value's JSON. */
export interface Span {
  /** Offset of the value's first character. */
  start: number;
  /** Offset just after the value's last character. */
  end: number;
}

/** A path inside the document: keys and indexes. */
export type JsonPath = readonly (string | number)[];

/**
 * The spans of the values of `text` (valid JSON, as `JSON.parse` checked) whose path `keep`
 * accepts, keyed by `pathKey(path)`. Values under a path that `descend` refuses are skipped
 * without recording what is inside them (a notebook's base64 images).
 *
 * @example
 * ```ts
 * import { pathKey, valueSpans } from "./_json_spans.ts";
 * const text = '{"a": [1, "two"]}';
 * const spans = valueSpans(text, (p) => p.length === 2, () => true);
 * const s = spans.get(pathKey(["a", 1]))!;
 * if (text.slice(s.start, s.end) !== '"two"') throw new Error("span");
 * ```
 */
export function valueSpans(
  text: string,
  keep: (path: JsonPath) => boolean,
  descend: (path: JsonPath) => boolean,
): Map<string, Span> {
  const spans = new Map<string, Span>();
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  // Jumps from quote to quote (a notebook's base64 images are long strings): a quote closes the
  // string unless an odd number of backslashes escapes it.
  const string = () => {
    let end = i;
    for (;;) {
      end = text.indexOf('"', end + 1);
      let slashes = 0;
      while (text[end - 1 - slashes] === "\\") slashes++;
      if (slashes % 2 === 0) break;
    }
    i = end + 1;
  };
  const value = (path: (string | number)[]) => {
    space();
    const start = i;
    const c = text[i];
    const inside = descend(path);
    if (c === "{" || c === "[") {
      i++;
      space();
      let index = 0;
      while (text[i] !== "}" && text[i] !== "]") {
        let key: string | number = index++;
        if (c === "{") {
          const keyStart = i;
          string();
          key = JSON.parse(text.slice(keyStart, i)) as string;
          space();
          i++; // the colon
        }
        if (inside) value([...path, key]);
        else skip();
        space();
        if (text[i] === ",") i++;
        space();
      }
      i++;
    } else if (c === '"') string();
    else while (i < text.length && !",}] \t\n\r".includes(text[i])) i++;
    if (keep(path)) spans.set(pathKey(path), { start, end: i });
  };
  // Skips one value without looking inside it (strings are still scanned for their quotes).
  const skip = () => {
    space();
    let depth = 0;
    do {
      const c = text[i];
      if (c === '"') {
        string();
        continue;
      }
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth--;
      else if (depth === 0) {
        while (i < text.length && !",}] \t\n\r".includes(text[i])) i++;
        return;
      }
      i++;
    } while (depth > 0);
  };
  value([]);
  return spans;
}

/** The key of `path` in the map `valueSpans()` returns. */
export function pathKey(path: JsonPath): string {
  return JSON.stringify(path);
}

/** Converts offsets of `text` into 1-based lines and columns. */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
      this.#starts.push(i + 1);
    }
  }

  /** The 1-based line and column of `offset`. */
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.#starts[lo] + 1 };
  }
}
