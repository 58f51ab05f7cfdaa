/**
 * Scenario files as native `deno test` tests: one `Deno.test` per scenario, one `t.step` per step.
 *
 * @module
 */

import type { StepReport } from "../report/model.ts";
import { renderStepFailure } from "../report/step_failure.ts";
import { discoverScenarioFiles } from "./discover.ts";
import { ScenarioValidationError } from "./errors.ts";
import { defaultSessionFactory, type RunOptions } from "./run.ts";
import { ScenarioRun } from "./scenario_run.ts";
import { type LoadOptions, loadScenarios, selectScenarios } from "./select.ts";
import type { Scenario } from "./types.ts";

/** Options of `scenarioTests()`. */
export type ScenarioTestOptions =
  & Pick<RunOptions, "filter" | "tags" | "timeoutMs" | "python" | "sessionFactory">
  & Pick<LoadOptions, "docs" | "doctestModules" | "doctestOptions">;

/** A step of a scenario failed; the message has file:line and the expectation diffs. */
export class ScenarioStepFailure extends Error {
  override name = "ScenarioStepFailure";
}

/**
 * Registers every scenario under `pathOrDir` (a file, a directory or a glob) as a `Deno.test`
 * whose steps are `t.step`s; after a failed step the rest are ignored. A file that does not
 * validate becomes a failing test that shows where and why.
 *
 * @example
 * ```ts ignore
 * // tests/scenarios_suite_test.ts
 * import { scenarioTests } from "../mod.ts";
 * await scenarioTests("scenarios");
 * ```
 */
export async function scenarioTests(
  pathOrDir: string,
  options: ScenarioTestOptions = {},
): Promise<void> {
  const valid: Scenario[] = [];
  const { docs, doctestModules, doctestOptions, python } = options;
  const load = { docs, doctestModules, doctestOptions, python };
  for (const file of await discoverScenarioFiles([pathOrDir], load)) {
    try {
      // Documents (Markdown, reST, modules) load through the same path as the CLI's.
      valid.push(...await loadScenarios([file], load));
    } catch (e) {
      if (!(e instanceof ScenarioValidationError)) throw e;
      Deno.test(`${file} is a valid scenario`, () => {
        throw e;
      });
    }
  }
  for (const scenario of selectScenarios(valid, options)) {
    Deno.test(scenario.name, async (t) => {
      await using run = new ScenarioRun(scenario, {
        sessionFactory: options.sessionFactory ?? defaultSessionFactory,
        python: options.python,
        timeoutMs: options.timeoutMs,
      });
      // The setup: steps of its pyrepl3.yaml come first, named as setup, placed in that file.
      for (const step of [...(scenario.setup ?? []), ...scenario.steps]) {
        const setup = step.file !== undefined ? "setup " : "";
        await t.step({
          name: `${setup}${step.index + 1}. ${run.skip(step).label}`,
          ignore: run.failed && !scenario.keepGoing, // a document runs every example
          fn: async () => {
            const report = await run.runStep(step);
            if (report.status === "failed") {
              const where = { file: step.file ?? scenario.file };
              throw new ScenarioStepFailure(formatStepFailure(where, report));
            }
          },
        });
      }
    });
  }
}

/**
 * Describes a failed step as the pretty reporter does: `file:line:column`, the step, then each
 * failed expectation with expected against actual (see `renderStepFailure`).
 *
 * @example
 * ```ts ignore
 * console.error(formatStepFailure(scenario, report.steps[2]));
 * ```
 */
export function formatStepFailure(scenario: { file: string }, step: StepReport): string {
  return renderStepFailure(scenario, step).join("\n");
}
