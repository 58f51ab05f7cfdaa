/**
 * Scenario files as native `deno test` tests: one `Deno.test` per scenario, one `t.step` per step.
 *
 * @module
 */

import { diffLines } from "diff";
import type { StepReport } from "../report/model.ts";
import { discoverScenarioFiles } from "./discover.ts";
import { ScenarioValidationError } from "./errors.ts";
import { loadScenario } from "./load.ts";
import { defaultSessionFactory, type RunOptions } from "./run.ts";
import { ScenarioRun } from "./scenario_run.ts";
import { selectScenarios } from "./select.ts";
import type { Scenario } from "./types.ts";

/** Options of `scenarioTests()`. */
export type ScenarioTestOptions = Pick<
  RunOptions,
  "filter" | "tags" | "timeoutMs" | "python" | "sessionFactory"
>;

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
  for (const file of await discoverScenarioFiles([pathOrDir])) {
    try {
      valid.push(await loadScenario(file));
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
      for (const step of scenario.steps) {
        await t.step({
          name: `${step.index + 1}. ${run.skip(step).label}`,
          ignore: run.failed,
          fn: async () => {
            const report = await run.runStep(step);
            if (report.status === "failed") {
              throw new ScenarioStepFailure(formatStepFailure(scenario, report));
            }
          },
        });
      }
    });
  }
}

/**
 * Describes a failed step: `file:line:column`, the step, then each failed expectation with a
 * line diff (`-` expected, `+` actual).
 *
 * @example
 * ```ts ignore
 * console.error(formatStepFailure(scenario, report.steps[2]));
 * ```
 */
export function formatStepFailure(scenario: Scenario, step: StepReport): string {
  const out = [
    `${scenario.file}:${step.line}:${step.column}: step ${step.index + 1} (${step.label}) failed`,
  ];
  if (step.error !== undefined) out.push(`  ${step.error}`);
  for (const f of step.failures) {
    out.push(`  ${f.key}: ${f.message}`);
    if (f.expected !== undefined && f.actual !== undefined) {
      out.push("    - expected", "    + actual");
      for (const part of diffLines(f.expected, f.actual)) {
        const mark = part.added ? "+" : part.removed ? "-" : " ";
        for (const line of part.value.replace(/\n$/, "").split("\n")) {
          out.push(`    ${mark} ${JSON.stringify(line).slice(1, -1)}`);
        }
      }
    }
  }
  return out.join("\n");
}
