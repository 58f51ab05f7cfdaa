/**
 * A failing expectation of one huge line shows a window around where the texts differ, not the
 * whole line twice (a 5 MB line printed 10 MB), with what is left out counted.
 */
import { equal, match, ok } from "node:assert/strict";
import { MAX_LINE_CHARS, renderDiff } from "../lib/report/_diff.ts";
import { colorsFor } from "../lib/report/_colors.ts";

Deno.test("one huge line: the window around the first difference, the rest counted", () => {
  const expected = "a".repeat(3_000_000) + "EXPECTED" + "b".repeat(2_000_000);
  const actual = "a".repeat(3_000_000) + "ACTUAL" + "b".repeat(2_000_000);
  const lines = renderDiff(expected, actual, colorsFor(false), (t) => t);
  equal(lines.length, 2);
  ok(lines.join("").length < 3 * MAX_LINE_CHARS, `${lines.join("").length} characters shown`);
  match(lines[0], /^- expected: \[… 2999800 characters\] a+EXPECTEDb+ \[… \d+ more characters\]$/);
  match(lines[1], /^\+ actual: {3}\[… 2999800 characters\] a+ACTUALb+ \[… \d+ more characters\]$/);
});

Deno.test("long lines in a multi-line diff are cut too; short ones are whole", () => {
  const expected = "head\n" + "x".repeat(100_000) + "\ntail\n";
  const actual = "head\n" + "y".repeat(100_000) + "\ntail\n";
  const lines = renderDiff(expected, actual, colorsFor(false));
  ok(lines.every((line) => line.length < MAX_LINE_CHARS + 100), "every line cut");
  ok(lines.includes(" head"), lines.join("\n").slice(0, 300));
  ok(lines.some((line) => /^-x+ \[… 98001 more characters\]$/.test(line)));
});
