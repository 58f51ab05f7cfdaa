/** A step that times out says which limit applied and where it was set. */
import { match } from "node:assert/strict";
import { runScenarios } from "../lib/scenario/run.ts";
import { tempScenarios } from "./_helpers/cli.ts";

const SLEEP = "    exec: import time; time.sleep(5)\n";

const cases: [string, string, { timeoutMs?: number }, RegExp][] = [
  [
    "the step's timeout:",
    `timeout: 10s\nsteps:\n  - timeout: 200ms\n${SLEEP}`,
    { timeoutMs: 20_000 },
    /got timeout.*; the limit was 200ms, set by the step's timeout: \(.*t\.yaml:3\)/,
  ],
  [
    "--timeout over the file's timeout:",
    `timeout: 10s\nsteps:\n  -${SLEEP.slice(3)}`,
    { timeoutMs: 300 },
    /; the limit was 300ms, set by --timeout$/,
  ],
  [
    "the file's timeout:",
    `name: x\ntimeout: 0.25\nsteps:\n  -${SLEEP.slice(3)}`,
    {},
    /; the limit was 250ms, set by the file's timeout: \(.*t\.yaml:2\)$/,
  ],
];

for (const [where, text, options, message] of cases) {
  Deno.test(`a timeout names the limit set by ${where}`, async () => {
    const dir = await tempScenarios({ "t.yaml": text });
    try {
      const report = await runScenarios([dir], options);
      const failure = report.scenarios[0].steps[0].failures.find((f) => f.key === "status");
      match(failure?.message ?? "", message);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
