/**
 * Editing a YAML or JSON mapping in its source text: set and remove keys by rewriting only the
 * ranges of the nodes that change, so everything else keeps its exact text (flow style, spacing,
 * comments, quotes). `--update` writes expectations through it.
 *
 * @module
 */

import { jsonWithIntegers } from "./expectation.ts";
import { isScalar, type Node, type Pair, stringify, type YAMLMap } from "npm:yaml@2.9.1";

/** Replace `text.slice(start, end)` with `text`. */
export interface TextEdit {
  /** Offset where the replaced text starts. */
  start: number;
  /** Offset where it ends (exclusive); equal to `start` for an insertion. */
  end: number;
  /** The new text. */
  text: string;
}

/** Applies non-overlapping `edits` to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  // From the end backwards, so earlier offsets stay valid; at one offset, a deletion before an
  // insertion, so the inserted text is never deleted.
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** How a `MapEdit` writes values. */
export interface MapEditOptions {
  /** The map is inside a flow collection (or is one): values are written in flow style. */
  flow: boolean;
  /** The file is JSON: keys quoted, values as JSON. */
  json: boolean;
}

/** The pending changes to one mapping of a parsed document. */
export class MapEdit {
  readonly #text: string;
  readonly #map: YAMLMap;
  readonly #options: MapEditOptions;
  readonly #sets = new Map<string, unknown>();
  readonly #removes = new Set<string>();

  /** Changes to `map`, a node of the document parsed from `text`. */
  constructor(text: string, map: YAMLMap, options: MapEditOptions) {
    this.#text = text;
    this.#map = map;
    this.#options = { flow: options.flow || map.flow === true, json: options.json };
  }

  /** True when values inside this map are written in flow style. */
  get flow(): boolean {
    return this.#options.flow;
  }

  /** How many keys are set or removed. */
  get size(): number {
    return this.#sets.size + this.#removes.size;
  }

  /** The value node of `key`, when the map has it. */
  node(key: string): unknown {
    return this.#pair(key)?.value;
  }

  /** True when the map has `key`. */
  has(key: string): boolean {
    return this.#pair(key) !== undefined;
  }

  /** Sets `key` to `value` (plain data; bigints are written as their digits). */
  set(key: string, value: unknown): void {
    this.#removes.delete(key);
    this.#sets.set(key, value);
  }

  /** Removes `key`, when the map has it. */
  remove(key: string): void {
    this.#sets.delete(key);
    if (this.has(key)) this.#removes.add(key);
  }

  /** The text edits that make the changes. */
  edits(): TextEdit[] {
    if (this.size === 0) return [];
    const items = this.#map.items as Pair[];
    const kept = items.filter((p) => !this.#removes.has(keyOf(p)));
    const added = [...this.#sets].filter(([key]) => !this.has(key));
    const [start, end] = this.#map.range ?? [0, 0];
    if (kept.length === 0) {
      // Nothing of the old map stays: write the new one in its place, in flow style.
      const text = this.#freshMap(Object.fromEntries(this.#sets));
      return [{
        start,
        end,
        text: this.#text.slice(start, end).endsWith("\n") ? `${text}\n` : text,
      }];
    }
    const edits: TextEdit[] = [];
    for (const pair of kept) {
      const key = keyOf(pair);
      if (this.#sets.has(key)) edits.push(this.#replaceValue(pair, this.#sets.get(key)));
    }
    edits.push(...(this.flow ? this.#flowRemovals(items, kept) : this.#blockRemovals(items)));
    if (added.length > 0) edits.push(this.#insertion(kept[kept.length - 1], added));
    return edits;
  }

  #pair(key: string): Pair | undefined {
    return (this.#map.items as Pair[]).find((p) => keyOf(p) === key);
  }

  #replaceValue(pair: Pair, value: unknown): TextEdit {
    const from = keyEnd(pair);
    const to = valueEnd(pair);
    const start = valueStart(pair);
    // What separates the key from its value (`: `, `":"`) stays as it was.
    const sep = start === undefined ? ": " : this.#text.slice(from, start);
    const old = this.#text.slice(from, to);
    const indent = indentOf(this.#text, keyStart(pair));
    let text = sep + this.#flowValue(value, indent);
    if (!this.flow) {
      const block = this.#blockValue(value, indent);
      const restOfLine = this.#text.slice(to, lineEnd(this.#text, to));
      // A multi-line value ending before a comment on its line would swallow the comment.
      if (!block.includes("\n") || restOfLine.trim() === "" || old.endsWith("\n")) {
        text = block.startsWith(" ") ? sep + block.slice(1) : sep.trimEnd() + block;
      }
    }
    return { start: from, end: to, text: old.endsWith("\n") ? `${text}\n` : text };
  }

  /** Flow maps: a removed item goes with the separator after it (the last ones, before them). */
  #flowRemovals(items: Pair[], kept: Pair[]): TextEdit[] {
    const edits: TextEdit[] = [];
    const lastKept = items.indexOf(kept[kept.length - 1]);
    for (let i = 0; i < lastKept; i++) {
      if (kept.includes(items[i])) continue;
      edits.push({ start: keyStart(items[i]), end: keyStart(items[i + 1]), text: "" });
    }
    if (lastKept < items.length - 1) {
      const start = valueEnd(items[lastKept]);
      edits.push({ start, end: valueEnd(items[items.length - 1]), text: "" });
    }
    return edits;
  }

  /** Block maps: a removed item's lines go. */
  #blockRemovals(items: Pair[]): TextEdit[] {
    return items.filter((p) => this.#removes.has(keyOf(p))).map((pair) => {
      const at = keyStart(pair);
      const lineStart = this.#text.lastIndexOf("\n", at - 1) + 1;
      const onItsOwnLine = this.#text.slice(lineStart, at).trim() === "";
      return { start: onItsOwnLine ? lineStart : at, end: afterLine(this.#text, pair), text: "" };
    });
  }

  #insertion(last: Pair, added: [string, unknown][]): TextEdit {
    const indent = indentOf(this.#text, keyStart(this.#map.items[0] as Pair));
    if (this.flow) {
      const at = valueEnd(last);
      const first = this.#map.items[0] as Pair;
      const opening = this.#text.slice(this.#map.range![0], keyStart(first));
      const sep = opening.includes("\n") ? `,\n${" ".repeat(indent)}` : ", ";
      const colon = this.#text.slice(keyEnd(first), valueStart(first) ?? keyEnd(first)) || ": ";
      const text = added.map(([key, value]) =>
        `${sep}${this.#keyText(key)}${colon}${this.#flowValue(value, indent)}`
      ).join("");
      return { start: at, end: at, text };
    }
    const at = afterLine(this.#text, last);
    const lines = added.map(([key, value]) =>
      `${" ".repeat(indent)}${key}:${this.#blockValue(value, indent)}\n`
    ).join("");
    const newline = at > 0 && this.#text[at - 1] !== "\n" ? "\n" : "";
    return { start: at, end: at, text: newline + lines };
  }

  /** True when the map's text spans lines (a JSON file's pretty-printed objects). */
  #multiline(): boolean {
    const [start, end] = this.#map.range ?? [0, 0];
    return this.#text.slice(start, end).trimEnd().includes("\n");
  }

  #keyText(key: string): string {
    return this.#options.json ? JSON.stringify(key) : key;
  }

  #freshMap(value: Record<string, unknown>): string {
    return this.#flowValue(value, indentOf(this.#text, this.#map.range?.[0] ?? 0));
  }

  /** `value` in flow style; JSON in a map written over several lines spans lines like its file. */
  #flowValue(value: unknown, indent: number): string {
    if (this.#options.json) {
      const unit = /\n([ \t]+)\S/.exec(this.#text)?.[1];
      if (unit === undefined || !this.#multiline()) {
        // JSON.stringify escapes line breaks inside strings: the ones left are between tokens.
        return jsonWithIntegers(value, 1).replace(/,\n */g, ", ").replace(/\n */g, "");
      }
      return jsonWithIntegers(value, unit).split("\n").join(`\n${" ".repeat(indent)}`);
    }
    const list = stringify([value], {
      collectionStyle: "flow",
      lineWidth: 0,
      flowCollectionPadding: false,
    }).trimEnd();
    return list.slice(1, -1);
  }

  /** What follows `key:` for `value` in block style, indented under a key at `indent`. */
  #blockValue(value: unknown, indent: number): string {
    const text = stringify({ k: value }, { lineWidth: 0 }).replace(/\n$/, "").slice(2);
    const pad = " ".repeat(indent);
    return text.split("\n").map((line, i) => i === 0 || line === "" ? line : pad + line).join(
      "\n",
    );
  }
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function rangeOf(node: unknown): [number, number, number] | undefined {
  return (node as Node | null)?.range ?? undefined;
}

function keyStart(pair: Pair): number {
  return rangeOf(pair.key)![0];
}

function keyEnd(pair: Pair): number {
  return rangeOf(pair.key)![1];
}

function valueStart(pair: Pair): number | undefined {
  return rangeOf(pair.value)?.[0];
}

function valueEnd(pair: Pair): number {
  return rangeOf(pair.value)?.[1] ?? keyEnd(pair);
}

/** The offset after the line where `pair`'s value ends (its line break included). */
function afterLine(text: string, pair: Pair): number {
  const end = valueEnd(pair);
  if (end > 0 && text[end - 1] === "\n") return end;
  const lineBreak = text.indexOf("\n", end);
  return lineBreak === -1 ? text.length : lineBreak + 1;
}

function lineEnd(text: string, at: number): number {
  const lineBreak = text.indexOf("\n", at);
  return lineBreak === -1 ? text.length : lineBreak;
}

/** The column of offset `at`. */
function indentOf(text: string, at: number): number {
  return at - (text.lastIndexOf("\n", at - 1) + 1);
}
