/**
 * Failures that explain themselves, in every reporter: a crashed step's signal or exit code and
 * the tail of its stderr, the steps skipped after a failure, and values as Python shows them.
 */
import { equal, match, ok } from "node:assert/strict";
import { formatReport, REPORTER_NAMES } from "../lib/report/reporters.ts";
import type { RunReport } from "../lib/report/model.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import { tempScenarios } from "./_helpers/cli.ts";

const SEGFAULT = `name: segfault
steps:
  - exec: print("before")
  - exec: import ctypes; ctypes.string_at(0)
  - exec: print("never")
  - exec: print("nor this")
  - exec: print("nor that")
`;

const EXIT_3 = `name: exit 3
steps:
  - exec: import os; os._exit(3)
`;

/** One scenario per value check: a failed step skips the ones after it. */
const VALUES: Record<string, string> = {
  "v1.yaml": `steps:\n  - exec: "71"\n    expect: { value: 70 }\n`,
  "v2.yaml": `steps:\n  - exec: 2 ** 70 + 1\n    expect: { value: 1 }\n`,
  "v3.yaml": `steps:\n  - exec: (1, 'a')\n    expect: { value: [1, b] }\n`,
  "v4.yaml": `steps:\n  - exec: "\\"it's\\""\n    expect: { value: its, repr: "'its'" }\n`,
};

/** JUnit's text with its entities back, so one pattern reads every reporter. */
function unescapeXml(text: string): string {
  return text.replaceAll("&apos;", "'").replaceAll("&quot;", '"').replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

let report: RunReport;
let dir: string;

async function run(): Promise<RunReport> {
  if (report) return report;
  dir = await tempScenarios({ "a.yaml": SEGFAULT, "b.yaml": EXIT_3, ...VALUES });
  report = await runScenarios([dir], {});
  await Deno.remove(dir, { recursive: true });
  return report;
}

for (const name of REPORTER_NAMES) {
  Deno.test(`${name}: a segfault shows its signal and the stderr tail, an exit its code`, async () => {
    const text = unescapeXml(formatReport(name, await run()));
    match(text, /SIGSEGV/);
    match(text, /<cell 2>/, "faulthandler's traceback, from the stderr tail");
    match(text, name === "json" ? /"exitCode": 3/ : /exited with code 3/);
  });

  Deno.test(`${name}: the steps skipped after a failure are counted`, async () => {
    const text = formatReport(name, await run());
    if (name === "json") {
      const steps = JSON.parse(text).scenarios[0].steps;
      equal(steps.filter((s: { status: string }) => s.status === "skipped").length, 3);
    } else if (name === "tap") match(text, /skipped_steps: 3/);
    else match(text, /3 steps skipped after the failure/);
  });
}

for (const name of ["pretty", "dot", "junit"] as const) {
  Deno.test(`${name}: values are shown as Python shows them, every failing expectation listed`, async () => {
    const text = unescapeXml(formatReport(name, await run()));
    match(text, /- expected: 70\n\s+\+ actual: {3}71(\n|<)/);
    match(text, /- expected: 1\n\s+\+ actual: {3}1180591620717411303425(\n|<)/);
    match(text, /- expected: \[1, 'b'\]\n\s+\+ actual: {3}\(1, 'a'\)(\n|<)/, "a tuple by its repr");
    match(text, /- expected: 'its'\n\s+\+ actual: {3}"it's"(\n|<)/);
    ok(text.includes("value: value differs") && text.includes("repr: repr differs"), text);
  });
}

Deno.test("tap: a crash is data: summary, exit code, signal and the stderr tail", async () => {
  const text = formatReport("tap", await run());
  match(
    text,
    /crash:\n\s+summary: the interpreter was killed by signal SIGSEGV\n\s+exit_code: null\n\s+signal: SIGSEGV\n\s+stderr_tail:/,
  );
});

Deno.test("junit: the failure message of a crash says how the interpreter ended", async () => {
  const text = formatReport("junit", await run());
  match(text, /message="[^"]*a\.yaml:4:5: the interpreter was killed by signal SIGSEGV"/);
});
