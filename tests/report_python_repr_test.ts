import { equal } from "node:assert/strict";
import { pythonRepr, pythonString } from "../lib/report/_python_repr.ts";

const cases: [string, unknown, string][] = [
  ["an int", 71, "71"],
  ["a big int, exact", 1180591620717411303425n, "1180591620717411303425"],
  ["a float", 0.1 + 0.2, "0.30000000000000004"],
  ["a small float with Python's exponent", 1e-7, "1e-07"],
  ["infinity and nan", [Infinity, -Infinity, NaN], "[inf, -inf, nan]"],
  ["None, True, False", [null, true, false], "[None, True, False]"],
  ["a string in single quotes", "hi\n", "'hi\\n'"],
  ["a string holding a single quote", "it's", `"it's"`],
  ["a string holding both quotes", `it's "x"`, `'it\\'s "x"'`],
  ["a control character", "a\x1bb", "'a\\x1bb'"],
  ["bytes", new Uint8Array([104, 105, 0, 39]), "b'hi\\x00\\''"],
  ["a dict", { a: [1, "b"] }, "{'a': [1, 'b']}"],
  ["a map with int keys", new Map([[1, 2]]), "{1: 2}"],
  ["a set, and the empty one", [new Set([1]), new Set()], "[{1}, set()]"],
  ["no value", undefined, "(no value)"],
];

for (const [what, value, shown] of cases) {
  Deno.test(`pythonRepr: ${what}`, () => equal(pythonRepr(value), shown));
}

Deno.test("pythonString escapes backslashes", () => equal(pythonString("a\\b"), "'a\\\\b'"));
