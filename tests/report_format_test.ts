import { equal } from "node:assert/strict";
import { formatDuration } from "../lib/report/_format.ts";

const durations: [number, string][] = [
  [0, "0ms"],
  [12.4, "12ms"],
  [850, "850ms"],
  [999.6, "1.00s"],
  [1000, "1.00s"],
  [1250, "1.25s"],
  [2500, "2.50s"],
  [59_994, "59.99s"],
  [59_999, "1m 00s"],
  [119_700, "2m 00s"],
  [125_000, "2m 05s"],
  [3_600_000, "60m 00s"],
];
for (const [ms, text] of durations) {
  Deno.test(`formatDuration(${ms}) is ${text}`, () => equal(formatDuration(ms), text));
}
