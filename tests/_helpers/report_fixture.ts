/**
 * A `RunReport` with one scenario of each outcome, for the reporter tests.
 *
 * @module
 */

import type { RunReport, ScenarioReport } from "../../lib/report/model.ts";

/** A scenario that passed in 120 ms. */
export const PASSED: ScenarioReport = {
  name: "greeting",
  file: "scenarios/greet.yaml",
  tags: ["smoke"],
  status: "passed",
  durationMs: 120,
  steps: [
    {
      index: 0,
      kind: "exec",
      label: "print('hi')",
      line: 3,
      column: 5,
      status: "passed",
      durationMs: 100,
      failures: [],
    },
  ],
};

/**
 * A failed scenario whose name needs escaping in XML and TAP, with a multi-line stdout diff, a
 * one-line value mismatch, an ANSI escape in the actual output, and a skipped step after it.
 */
export const FAILED: ScenarioReport = {
  name: `math "quick" & <fast> # 1`,
  file: "scenarios/sub/math.yaml",
  tags: [],
  status: "failed",
  durationMs: 80,
  steps: [
    {
      index: 0,
      kind: "exec",
      label: "x = 1",
      line: 3,
      column: 5,
      status: "passed",
      durationMs: 5,
      failures: [],
    },
    {
      index: 1,
      kind: "exec",
      label: "for i in range(3):\n    print(i)",
      line: 12,
      column: 5,
      status: "failed",
      durationMs: 7,
      failures: [
        {
          kind: "stdout",
          key: "stdout",
          message: "stdout differs",
          expected: "0\n1\n2\n",
          actual: "0\n1\n\x1b[31mtwo\x1b[0m\n",
        },
        { kind: "value", key: "value", message: "value differs", expected: "3", actual: "4" },
      ],
    },
    {
      index: 2,
      kind: "exec",
      label: "y",
      line: 20,
      column: 5,
      status: "skipped",
      durationMs: 0,
      failures: [],
    },
  ],
};

/** A scenario whose only step crashed (an error, no expectation failures). */
export const CRASHED: ScenarioReport = {
  name: "crash",
  file: "scenarios/crash.yaml",
  tags: [],
  status: "failed",
  durationMs: 2500,
  steps: [
    {
      index: 0,
      kind: "restore",
      label: "restore nope",
      line: 4,
      column: 3,
      status: "failed",
      durationMs: 1,
      failures: [],
      error: "no checkpoint named nope",
    },
  ],
};

/** A scenario whose every step was skipped. */
export const SKIPPED: ScenarioReport = {
  name: "later",
  file: "scenarios/later.yaml",
  tags: [],
  status: "passed",
  durationMs: 0,
  steps: [
    {
      index: 0,
      kind: "exec",
      label: "pass",
      line: 2,
      column: 3,
      status: "skipped",
      durationMs: 0,
      failures: [],
    },
  ],
};

/** The four scenarios above as one run. */
export function fixtureReport(): RunReport {
  return {
    scenarios: [PASSED, FAILED, CRASHED, SKIPPED],
    passed: 2,
    failed: 2,
    durationMs: 2701,
    startedAt: "2024-05-01T10:00:00.000Z",
  };
}
