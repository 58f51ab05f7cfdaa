/**
 * Values shown as Python shows them: `71` not `"71"`, `1180591620717411303425` exact, strings in
 * Python's quotes, `None`/`True`/`False`. Reports and failure messages render values here, so a
 * failure reads like the REPL the user knows.
 *
 * @module
 */

/**
 * The Python `repr()` of a converted value (see the README's "Values"): `None`, `True`, ints of
 * any size, floats as Python writes them (`1e-07`, `inf`, `nan`), `'text'`, `b'bytes'`, lists,
 * dicts and sets. A tuple arrives as an array and shows as a list: prefer the result's own
 * `repr` when there is one. `undefined` (no value) is `(no value)`.
 *
 * @example
 * ```ts
 * import { pythonRepr } from "./_python_repr.ts";
 * const shown = pythonRepr({ n: 2n ** 70n, s: "it's", ok: true, none: null });
 * if (shown !== `{'n': 1180591620717411303424, 's': "it's", 'ok': True, 'none': None}`) throw new Error(shown);
 * ```
 */
export function pythonRepr(value: unknown): string {
  if (value === undefined) return "(no value)";
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return pythonNumber(value);
  if (typeof value === "string") return pythonString(value);
  if (value instanceof Uint8Array) return pythonBytes(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (value instanceof Set) {
    return value.size === 0 ? "set()" : `{${[...value].map(pythonRepr).join(", ")}}`;
  }
  if (value instanceof Map) {
    return `{${[...value].map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(", ")}}`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${pythonString(k)}: ${pythonRepr(v)}`).join(", ")}}`;
  }
  return String(value);
}

/**
 * A string as Python's `repr()` writes it: single quotes unless the text holds one and no
 * double quote, backslash escapes for line breaks, tabs and other control characters.
 *
 * @example
 * ```ts
 * import { pythonString } from "./_python_repr.ts";
 * if (pythonString("hi\n") !== "'hi\\n'") throw new Error(pythonString("hi\n"));
 * ```
 */
export function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\" || ch === quote) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${hex2(code)}`;
    else out += ch;
  }
  return quote + out + quote;
}

function pythonNumber(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  // JavaScript and Python both write the shortest round-trip form; Python pads the exponent.
  return String(value).replace(/e([+-])(\d)$/, "e$10$2");
}

function pythonBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0x5c || b === 0x27) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b < 0x20 || b >= 0x7f) out += `\\x${hex2(b)}`;
    else out += String.fromCharCode(b);
  }
  return `b'${out}'`;
}

function hex2(code: number): string {
  return code.toString(16).padStart(2, "0");
}
