/**
 * How a failed step reads, wherever it is shown: the pretty reporter's failure section and the
 * `deno test` failures of `scenarioTests()` both render it here.
 *
 * @module
 */

import { colorsFor } from "./_colors.ts";
import { renderDiff } from "./_diff.ts";
import { crashSummary, firstLine, stderrTail, stepLocation } from "./_format.ts";
import type { FailureKind, StepReport } from "./model.ts";
import { pythonString } from "./_python_repr.ts";

/** Options of `renderStepFailure()`. */
export interface StepFailureOptions {
  /** Add ANSI colours. Default false. */
  color?: boolean;
}

/**
 * Renders a failed step as lines: `file:line:column step N (kind) label`, then (indented)
 * its error, how its interpreter crashed (exit code or signal, and the tail of its stderr),
 * and every failed expectation with expected against actual (see `renderDiff`): output text
 * as Python string literals, values as their Python repr.
 *
 * @param scenario the scenario the step belongs to (only its `file` is read)
 * @example
 * ```ts
 * import { renderStepFailure } from "./step_failure.ts";
 * const lines = renderStepFailure({ file: "s.yaml" }, {
 *   index: 1, kind: "exec", label: "x + 1", line: 4, column: 5, status: "failed", durationMs: 1,
 *   failures: [{ kind: "value", key: "value", message: "value differs", expected: "3", actual: "2" }],
 * });
 * if (lines[0] !== "s.yaml:4:5 step 2 (exec) x + 1") throw new Error(lines[0]);
 * ```
 */
export function renderStepFailure(
  scenario: { file: string },
  step: StepReport,
  options: StepFailureOptions = {},
): string[] {
  const c = colorsFor(options.color ?? false);
  const lines = [
    `${c.cyan(stepLocation(scenario, step))} step ${step.index + 1} (${step.kind}) ${
      c.dim(firstLine(step.label))
    }`,
  ];
  if (step.error !== undefined) lines.push(`  ${c.red(step.error)}`);
  const crash = crashSummary(step);
  if (crash !== undefined) {
    lines.push(`  ${c.bold("crash")}: ${c.red(crash)}`);
    const tail = stderrTail(step);
    if (tail.length > 0) lines.push(`    stderr (last lines):`);
    for (const line of tail) lines.push(`    ${c.dim("|")} ${line}`);
  }
  for (const failure of step.failures) {
    lines.push(`  ${c.bold(failure.key)}: ${failure.message}`);
    if (failure.expected !== undefined && failure.actual !== undefined) {
      const show = TEXT_KINDS.has(failure.kind) ? pythonString : (text: string) => text;
      for (const line of renderDiff(failure.expected, failure.actual, c, show)) {
        lines.push(`    ${line}`);
      }
    }
  }
  return lines;
}

/** Failures about output text, shown as Python string literals; the others are reprs or names. */
const TEXT_KINDS: ReadonlySet<FailureKind> = new Set<FailureKind>([
  "stdout",
  "stderr",
  "error.message",
]);
