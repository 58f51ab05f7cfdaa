import { deepStrictEqual, equal } from "node:assert/strict";
import { runScenarios } from "../lib/scenario/run.ts";
import { parseScenario } from "../lib/scenario/load.ts";
import { sessionsHeldAtOnce } from "../lib/scenario/pooled_sessions.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

/** A scenario whose steps each run in their own named session, all held until it ends. */
function manySessions(count: number): string {
  const steps = Array.from({ length: count }, (_, i) => [
    `  - exec: who = ${i}`,
    `    session: s${i}`,
  ]).flat();
  steps.push("  - exec: who", "    session: s0", "    expect: { value: 0 }");
  return `name: ${count} sessions\nsteps:\n${steps.join("\n")}\n`;
}

Deno.test("a scenario with six named sessions runs from the default pools without waiting for itself", async () => {
  // The pools used to hold 4 sessions per job: the fifth acquire waited 30 s and failed.
  const scenario = parseScenario(manySessions(6), "many.yaml");
  const report = await runScenarios([scenario], { python: TEST_PYTHON, jobs: 1 });
  const steps = report.scenarios[0].steps;
  deepStrictEqual(steps.map((s) => s.error ?? s.status), Array(7).fill("passed"));
});

Deno.test("sessionsHeldAtOnce counts the distinct session names of the busiest scenario", () => {
  const one = parseScenario("steps:\n  - exec: x = 1\n  - exec: x\n", "one.yaml");
  const five = parseScenario(manySessions(5), "five.yaml");
  equal(sessionsHeldAtOnce([one]), 1);
  equal(sessionsHeldAtOnce([one, five]), 5);
  equal(sessionsHeldAtOnce([]), 1);
});
