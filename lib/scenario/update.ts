/**
 * `--update`: write what a run actually produced back into a scenario file's expectations,
 * keeping its comments, key order and formatting (the yaml Document is edited in place).
 *
 * @module
 */

import { extname } from "node:path";
import { type Document, isMap, parseDocument, type YAMLMap } from "npm:yaml@2.9.1";
import type { ScenarioReport, StepReport } from "../report/model.ts";
import { expectationFrom, plainValue } from "./expectation.ts";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import { ScenarioChangedError } from "./errors.ts";
import { readTextFileStrict } from "./read_text.ts";

/**
 * Rewrites the expectations of `file` from `report` (the report of a run of that file): failing
 * expectation fields get the actual output, passing ones (and matchers like `{contains}` that
 * pass) stay, and an exec step with no `expect` gets the one `expectationFrom()` makes (the
 * same that `pyrepl3 record` writes).
 *
 * @returns true when the file changed.
 * @throws {ScenarioChangedError} when `options.expectedText` is given and the file differs;
 * `TextFileError` or the file system's error when it cannot be read or written.
 * @example
 * ```ts ignore
 * import { runScenario } from "./run.ts";
 * import { loadScenario } from "./load.ts";
 * import { updateScenarioFile } from "./update.ts";
 * const report = await runScenario(await loadScenario("new.yaml"), { continueOnFailure: true });
 * await updateScenarioFile("new.yaml", report);
 * ```
 */
export async function updateScenarioFile(
  file: string,
  report: ScenarioReport,
  options: UpdateFileOptions = {},
): Promise<boolean> {
  const before = await readTextFileStrict(file);
  if (options.expectedText !== undefined && before !== options.expectedText) {
    throw new ScenarioChangedError(file);
  }
  const after = updateScenarioText(before, report, extname(file).toLowerCase() === ".json");
  if (after === before) return false;
  // Atomic: a Ctrl-C or a crash leaves the old file or the new one, never a truncated one.
  await writeTextFileAtomic(file, after);
  return true;
}

/** Options of `updateScenarioFile()`. */
export interface UpdateFileOptions {
  /**
   * The text the scenario was loaded from (`scenarioSource()`): when the file no longer holds
   * it, it is left alone and `ScenarioChangedError` is thrown, since the report's step indexes
   * would land in the wrong steps.
   */
  expectedText?: string;
}

/** Like `updateScenarioFile`, on text: returns the updated text (JSON as 2-space JSON). */
export function updateScenarioText(text: string, report: ScenarioReport, json = false): string {
  const doc = parseDocument(text);
  let changed = false;
  for (const step of report.steps) {
    if (step.kind !== "exec" || step.actual === undefined) continue;
    const node = doc.getIn(["steps", step.index], true);
    if (!isMap(node)) continue;
    const expect = node.get("expect", true);
    if (!isMap(expect)) {
      const fresh = expectationFrom(step.actual);
      if (Object.keys(fresh).length > 0) {
        node.set("expect", doc.createNode(fresh));
        changed = true;
      }
      continue;
    }
    if (step.status !== "failed") continue;
    changed = fixExpectation(doc, expect, step) || changed;
  }
  if (!changed) return text;
  return json ? `${JSON.stringify(doc.toJS(), null, 2)}\n` : String(doc);
}

function fixExpectation(doc: Document, expect: YAMLMap, step: StepReport): boolean {
  const actual = step.actual!;
  const failed = new Set(step.failures.map((f) => f.kind));
  let changed = false;
  const set = (key: string, value: unknown) => {
    expect.set(key, doc.createNode(value));
    changed = true;
  };
  const remove = (key: string) => {
    if (expect.has(key)) changed = expect.delete(key) || changed;
  };
  if (failed.has("status") || failed.has("error.type") || failed.has("error.message")) {
    if (actual.status === "ok") {
      remove("error");
      remove("status");
    } else {
      if (actual.status === "error") remove("status");
      else set("status", actual.status);
      if (actual.error) {
        const current = expect.get("error", true);
        if (isMap(current)) {
          current.set("type", actual.error.type);
          if (current.has("message") && failed.has("error.message")) {
            current.set("message", actual.error.message);
          }
          changed = true;
        } else set("error", actual.error.type);
      } else remove("error");
    }
  }
  for (const key of ["stdout", "stderr"] as const) {
    if (failed.has(key)) set(key, actual[key]);
  }
  if (failed.has("repr")) set("repr", actual.repr ?? "");
  if (failed.has("value")) {
    const plain = plainValue(actual.value);
    if (plain !== undefined) set("value", plain);
    else if (actual.repr !== undefined) {
      remove("value");
      set("repr", actual.repr);
    } else set("value", null);
  }
  return changed;
}
