import { deepStrictEqual, equal } from "node:assert/strict";
import { prettyFailure } from "../lib/report/pretty.ts";
import { renderStepFailure } from "../lib/report/step_failure.ts";
import type { ScenarioReport } from "../lib/report/model.ts";
import { formatStepFailure } from "../lib/scenario/testing.ts";
import { CRASHED, FAILED } from "./_helpers/report_fixture.ts";

for (const scenario of [FAILED, CRASHED]) {
  Deno.test(`pretty and scenarioTests render the failed step of '${scenario.name}' alike`, () => {
    const [step] = scenario.steps.filter((s) => s.status === "failed");
    // The pretty failure section is a FAIL line, then each failed step indented by two spaces.
    const pretty = prettyFailure(scenario).split("\n").slice(1).map((line) => line.slice(2))
      .filter((line) => !line.endsWith("skipped after the failure"));
    equal(pretty.join("\n"), formatStepFailure(scenario, step));
  });
}

Deno.test("a failed step shows its location, label, error and each expectation's diff", () => {
  const crashed: ScenarioReport = {
    ...CRASHED,
    steps: [{
      ...CRASHED.steps[0],
      failures: [{
        kind: "error.message",
        key: "error",
        message: "error message differs",
        expected: "nope",
        actual: "division by zero",
      }],
    }],
  };
  deepStrictEqual(renderStepFailure(crashed, crashed.steps[0]), [
    "scenarios/crash.yaml:4:3 step 1 (restore) restore nope",
    "  no checkpoint named nope",
    "  error: error message differs",
    "    - expected: 'nope'",
    "    + actual:   'division by zero'",
  ]);
});

Deno.test("a failed step's multi-line output differs as a unified diff", () => {
  deepStrictEqual(renderStepFailure(FAILED, FAILED.steps[1]).slice(0, 8), [
    "scenarios/sub/math.yaml:12:5 step 2 (exec) for i in range(3):…",
    "  stdout: stdout differs",
    "    - expected",
    "    + actual",
    "    @@ -1,3 +1,3 @@",
    "     0",
    "     1",
    "    -2",
  ]);
});
