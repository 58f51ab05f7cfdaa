import { equal } from "node:assert/strict";
import { normalize } from "../lib/scenario/normalize.ts";
import type { Normalizer } from "../lib/scenario/types.ts";

const cases: [string, Normalizer[], string, string][] = [
  [
    "addresses hides every hex address",
    ["addresses"],
    "<A at 0x7f3a9c10> <B at 0xDEADBEEF>",
    "<A at 0x...> <B at 0x...>",
  ],
  ["addresses leaves other text alone", ["addresses"], "x = 10, y = 0", "x = 10, y = 0"],
  [
    "trailing_whitespace strips line ends and final newlines",
    ["trailing_whitespace"],
    "a  \nb\t\r\n\n\n",
    "a\nb",
  ],
  ["trailing_whitespace keeps leading space", ["trailing_whitespace"], "  a\n", "  a"],
  ["ansi strips colors and cursor moves", ["ansi"], "\x1b[1;31mred\x1b[0m \x1b[2Kline", "red line"],
  ["ansi strips OSC titles", ["ansi"], "\x1b]0;title\x07text", "text"],
  [
    "regex replaces every match with groups",
    [{ regex: "(\\d+)ms", replace: "<\\1>" }],
    "1ms 22ms",
    "<1> <22>",
  ],
  [
    "normalizers apply in order",
    [{ regex: "X", replace: "0xabc " }, "addresses", "trailing_whitespace"],
    "X",
    "0x...",
  ],
  ["no normalizer changes nothing", [], "a \x1b[0m 0x1 ", "a \x1b[0m 0x1 "],
];
for (const [what, normalizers, input, expected] of cases) {
  Deno.test(what, () => equal(normalize(input, normalizers), expected));
}

Deno.test("sorted_sets sorts each set display's elements, nested ones too, and nothing else", () => {
  const cases: [string, string][] = [
    ["{'pear', 'apple', 'kiwi'}", "{'apple', 'kiwi', 'pear'}"],
    ["{3, 1, 2}", "{1, 2, 3}"],
    ["frozenset({'b', 'a'})", "frozenset({'a', 'b'})"],
    ["{'a': {2, 1}, 'b': 'x, y}'}", "{'a': {1, 2}, 'b': 'x, y}'}"], // a dict stays; its set is sorted
    ["[{'z', 'y'}, {'c': 1}]", "[{'y', 'z'}, {'c': 1}]"],
    ["{'it,s', 'b'}", "{'b', 'it,s'}"], // a comma in a string does not split
    ["{(2, 1), (1, 2)}", "{(1, 2), (2, 1)}"], // tuples are elements, not sorted inside
    ["{}", "{}"],
    ["print('{ not closed'", "print('{ not closed'"],
  ];
  for (const [text, sorted] of cases) equal(normalize(text, ["sorted_sets"]), sorted, text);
});
