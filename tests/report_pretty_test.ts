import { equal, match, ok } from "node:assert/strict";
import { formatPretty, prettyScenarioLine, PrettyStream } from "../lib/report/pretty.ts";
import { CRASHED, FAILED, fixtureReport, PASSED, SKIPPED } from "./_helpers/report_fixture.ts";

const ANSI = new RegExp(String.fromCharCode(27) + "\\[");

Deno.test("pretty prints a line per scenario with its verdict and time", () => {
  equal(prettyScenarioLine(PASSED), "✓ greeting (scenarios/greet.yaml) 120ms");
  equal(prettyScenarioLine(FAILED), `✗ ${FAILED.name} (scenarios/sub/math.yaml) 80ms`);
  equal(prettyScenarioLine(CRASHED), "✗ crash (scenarios/crash.yaml) 2.50s");
  equal(prettyScenarioLine(SKIPPED), "- later (scenarios/later.yaml) skipped");
  equal(
    prettyScenarioLine({ ...FAILED, updated: true }),
    `✗ ${FAILED.name} (scenarios/sub/math.yaml) 80ms (file updated)`,
  );
});

Deno.test("pretty shows the failing step's file:line:column and a unified diff", () => {
  const text = formatPretty(fixtureReport());
  match(text, /scenarios\/sub\/math\.yaml:12:5 step 2 \(exec\) for i in range\(3\):…/);
  match(text, /- expected\n\s+\+ actual\n\s+@@ -1,3 \+1,3 @@\n\s+ 0\n\s+ 1\n\s+-2\n\s+\+/);
  ok(text.includes("+\x1b[31mtwo"), "the actual line keeps its own escape");
  match(text, /- expected: 3\n\s+\+ actual: {3}4\n/, "values as Python shows them");
  match(text, /\n {2}1 step skipped after the failure\n/);
  match(text, /scenarios\/crash\.yaml:4:3 step 1 \(restore\)[^\n]*\n\s+no checkpoint named nope/);
  ok(!text.includes("math.yaml:3:5"), "a passed step is not listed as a failure");
  ok(!text.includes("math.yaml:20:5"), "a skipped step is not listed as a failure");
});

Deno.test("pretty ends with the counts and total time", () => {
  const text = formatPretty(fixtureReport());
  ok(text.endsWith("4 scenarios: 1 passed, 2 failed, 1 skipped (2.70s)\n"), text);
});

Deno.test("pretty adds colour codes only when asked", () => {
  const plain = formatPretty(fixtureReport(), { color: false });
  const coloured = formatPretty(fixtureReport(), { color: true });
  // The fixture's actual output holds one ANSI escape of its own; colour adds many more.
  equal(plain.split("\x1b[").length - 1, 2);
  ok(coloured.split("\x1b[").length - 1 > 10);
  ok(ANSI.test(prettyScenarioLine(PASSED, { color: true })));
  ok(!ANSI.test(prettyScenarioLine(PASSED, { color: false })));
});

Deno.test("the pretty stream writes each scenario as it finishes and erases its progress line", () => {
  const writes: string[] = [];
  const stream = new PrettyStream((t) => writes.push(t), { progress: true, total: 2, columns: 40 });
  stream.scenarioStarted({ name: "greeting", file: PASSED.file });
  equal(writes.at(-1), "0/2 done, running: greeting");
  stream.scenarioDone(PASSED);
  equal(writes.slice(-2).join(""), "\r\x1b[2K" + prettyScenarioLine(PASSED) + "\n");
  stream.scenarioStarted({ name: "a very long scenario name that will not fit", file: "x" });
  ok(writes.at(-1)!.length <= 39 && writes.at(-1)!.endsWith("…"));
  stream.runDone({ ...fixtureReport(), scenarios: [PASSED], passed: 1, failed: 0 });
  equal(writes.at(-2), "\r\x1b[2K");
  match(writes.at(-1)!, /^1 scenario: 1 passed, 0 failed/);
});

Deno.test("the pretty stream writes no progress line unless asked", () => {
  const writes: string[] = [];
  const stream = new PrettyStream((t) => writes.push(t));
  stream.scenarioStarted({ name: "greeting", file: PASSED.file });
  stream.scenarioDone(PASSED);
  equal(writes.join(""), prettyScenarioLine(PASSED) + "\n");
});
