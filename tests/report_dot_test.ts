import { equal, match, ok } from "node:assert/strict";
import { DotStream, formatDot } from "../lib/report/dot.ts";
import { fixtureReport, PASSED } from "./_helpers/report_fixture.ts";

Deno.test("dot prints a character per scenario, then failures and the summary", () => {
  const text = formatDot(fixtureReport());
  ok(text.startsWith(".FFS\n"), text);
  match(text, /scenarios\/sub\/math\.yaml:12:5/);
  ok(text.endsWith("4 scenarios: 1 passed, 2 failed, 1 skipped (2.70s)\n"));
});

Deno.test("dot wraps after 80 scenarios", () => {
  const scenarios = Array.from({ length: 81 }, () => PASSED);
  const writes: string[] = [];
  const stream = new DotStream((t) => writes.push(t));
  for (const s of scenarios) stream.scenarioDone(s);
  equal(writes.join(""), ".".repeat(80) + "\n" + ".");
});

Deno.test("dot colours only when asked", () => {
  ok(!formatDot(fixtureReport()).startsWith("\x1b["));
  ok(formatDot(fixtureReport(), { color: true }).startsWith("\x1b["));
});
