import { deepStrictEqual, equal, match } from "node:assert/strict";
import { parse } from "yaml";
import { formatTap } from "../lib/report/tap.ts";
import { fixtureReport } from "./_helpers/report_fixture.ts";

Deno.test("tap starts with the version and the plan, then a test point per scenario", () => {
  const lines = formatTap(fixtureReport()).split("\n");
  deepStrictEqual(lines.slice(0, 2), ["TAP version 14", "1..4"]);
  const points = lines.filter((l) => /^(not )?ok /.test(l));
  deepStrictEqual(points, [
    "ok 1 - greeting # time=120ms",
    'not ok 2 - math "quick" & <fast> \\# 1',
    "not ok 3 - crash",
    "ok 4 - later # SKIP every step was skipped",
  ]);
});

Deno.test("tap writes version 13 on request", () => {
  equal(formatTap(fixtureReport(), { version: 13 }).split("\n")[0], "TAP version 13");
});

Deno.test("tap describes a failure in a YAML block that parses", () => {
  const text = formatTap(fixtureReport());
  const block = /not ok 2 [^\n]*\n {2}---\n([\s\S]*?)\n {2}\.\.\.\n/.exec(text);
  match(text, /not ok 3 - crash\n {2}---\n/);
  const data = parse(block![1].replace(/^ {2}/gm, ""));
  equal(data.file, "scenarios/sub/math.yaml");
  equal(data.failures.length, 1);
  equal(data.failures[0].at, "scenarios/sub/math.yaml:12:5");
  deepStrictEqual(data.failures[0].expectations.map((e: { key: string }) => e.key), [
    "stdout",
    "value",
  ]);
  equal(data.failures[0].expectations[0].actual, "0\n1\n\x1b[31mtwo\x1b[0m\n");
});

Deno.test("tap of an empty run has the plan 1..0", () => {
  equal(formatTap({ ...fixtureReport(), scenarios: [] }), "TAP version 14\n1..0\n");
});
