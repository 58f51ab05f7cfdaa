/**
 * `--update`: write what a run actually produced back into a scenario file's expectations.
 * Only the expectation values that change are written, at their places in the source text:
 * everything else keeps its exact text (flow style, spacing, comments, quotes, big integers).
 *
 * @module
 */

import { extname } from "node:path";
import { isMap, isSeq, parseDocument, type YAMLMap } from "npm:yaml@2.9.1";
import type {
  ExpectationFailure,
  FailureKind,
  ScenarioReport,
  StepReport,
} from "../report/model.ts";
import { expectationFrom, plainValue } from "./expectation.ts";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import { ScenarioChangedError } from "./errors.ts";
import { readTextFileStrict } from "./read_text.ts";
import { applyEdits, MapEdit, type TextEdit } from "./_yaml_edit.ts";
import { writeSnapshot } from "./snapshot.ts";
import { bundleFailuresFixable, freshBundleExpectation } from "./_bundle_update.ts";

/**
 * Rewrites the expectations of `file` from `report` (the report of a run of that file): failing
 * expectation fields get the actual output, passing ones (and matchers like `{contains}` that
 * pass) stay, and an exec step with no `expect` gets the one `expectationFrom()` makes (the
 * same that `pyrepl3 record` writes). A step that no rewrite can make pass (a crash, an error
 * of the step itself, unused inputs, a duration limit) is left as it is and stays failed.
 *
 * When the file is written, `report` is brought up to date: the steps it fixed become `passed`
 * with `updated: true`, `expectationsWritten` counts the values written, and the scenario's
 * `status` is `failed` only when a step still fails.
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
  const before = await readUnchanged(file, options.expectedText);
  const update = updateScenario(before, report, extname(file).toLowerCase() === ".json");
  const images = snapshotUpdates(report);
  if (update.text === before && images.length === 0) return false;
  // Atomic: a Ctrl-C or a crash leaves the old file or the new one, never a truncated one.
  if (update.text !== before) await writeTextFileAtomic(file, update.text);
  for (const image of images) writeSnapshot(image.file, image.bytes);
  const steps = new Set([...update.steps, ...images.map((i) => i.step)]);
  markUpdated(report, { ...update, written: update.written + images.length, steps: [...steps] });
  return true;
}

/**
 * The text of `file`, read to be updated: when `expectedText` is given, only while the file still
 * holds it (results land in the steps they belong to, or nowhere).
 *
 * @throws {ScenarioChangedError} when the file differs from `expectedText`; `TextFileError` or
 * the file system's error when it cannot be read.
 */
export async function readUnchanged(file: string, expectedText?: string): Promise<string> {
  const text = await readTextFileStrict(file);
  if (expectedText !== undefined && text !== expectedText) throw new ScenarioChangedError(file);
  return text;
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

/** What `updateScenario()` did to a scenario's text. */
export interface ScenarioUpdate {
  /** The updated text (the same string when nothing changed). */
  text: string;
  /** How many expectation values were written or removed. */
  written: number;
  /** The indexes of the steps whose expectations were written. */
  steps: number[];
}

/** Like `updateScenarioFile`, on text: returns the updated text. */
export function updateScenarioText(text: string, report: ScenarioReport, json = false): string {
  return updateScenario(text, report, json).text;
}

/**
 * The text with the expectations of `report` written into it: only the ranges of the values
 * that change are rewritten; JSON keeps its own indentation and key order.
 *
 * @example
 * ```ts
 * import { updateScenario } from "./update.ts";
 * const text = "tags: [bank, smoke]\nsteps:\n  - exec: 6 * 7  # answer\n";
 * const { text: out } = updateScenario(text, {
 *   name: "x", file: "x.yaml", tags: [], status: "passed", durationMs: 1,
 *   steps: [{ index: 0, kind: "exec", label: "6 * 7", line: 3, column: 5, status: "passed",
 *     durationMs: 1, failures: [], actual: { status: "ok", stdout: "", stderr: "", value: 42 } }],
 * });
 * if (out !== text + "    expect:\n      value: 42\n") throw new Error(out);
 * ```
 */
export function updateScenario(text: string, report: ScenarioReport, json = false): ScenarioUpdate {
  const doc = parseDocument(text);
  const list = doc.get("steps", true);
  if (!isSeq(list)) return { text, written: 0, steps: [] };
  const listFlow = json || (isMap(doc.contents) && doc.contents.flow === true) ||
    list.flow === true;
  const edits: TextEdit[] = [];
  let written = 0;
  const steps: number[] = [];
  for (const step of report.steps) {
    if (step.kind !== "exec" || step.actual === undefined || !canFix(step)) continue;
    const node = list.items[step.index];
    if (!isMap(node)) continue;
    const stepEdit = new MapEdit(text, node, { flow: listFlow, json });
    const expect = stepEdit.node("expect");
    const changes: MapEdit[] = [];
    if (!isMap(expect)) {
      const fresh = expectationFrom(step.actual);
      if (Object.keys(fresh).length === 0) continue;
      stepEdit.set("expect", fresh);
      changes.push(stepEdit);
      written += Object.keys(fresh).length;
    } else {
      if (step.status !== "failed") continue;
      const expectEdit = new MapEdit(text, expect, { flow: stepEdit.flow, json });
      changes.push(expectEdit, ...fixExpectation(text, expectEdit, step, json));
      written += changes.reduce((sum, c) => sum + c.size, 0);
    }
    const stepEdits = changes.flatMap((c) => c.edits());
    if (stepEdits.length === 0) continue;
    edits.push(...stepEdits);
    steps.push(step.index);
  }
  return {
    text: edits.length === 0 ? text : applyEdits(text, withLineBreaks(text, edits)),
    written,
    steps,
  };
}

/** The edits with the file's own line breaks: CRLF in a file whose lines end so (`\r\n`). */
function withLineBreaks(text: string, edits: TextEdit[]): TextEdit[] {
  const first = text.indexOf("\n");
  if (first <= 0 || text[first - 1] !== "\r") return edits;
  return edits.map((e) => ({ ...e, text: e.text.replace(/\r?\n/g, "\r\n") }));
}

/** The failure kinds that writing the actual outcome resolves. */
const FIXABLE: ReadonlySet<FailureKind> = new Set<FailureKind>([
  "status",
  "stdout",
  "stderr",
  "repr",
  "value",
  "error.type",
  "error.message",
]);

/** A step that would pass with its expectations rewritten (a crash is never expected). */
function canFix(step: StepReport): boolean {
  // A timeout is no outcome to expect from now on: it depends on the machine's speed. A step that
  // already expects one can still have its other expectations fixed.
  const newTimeout = step.actual?.status === "timeout" &&
    step.failures.some((f) => f.kind === "status");
  return step.error === undefined && step.actual?.status !== "crashed" && !newTimeout &&
    step.failures.every((f) =>
      FIXABLE.has(f.kind) || snapshotBytes(step, f) !== undefined ||
      (f.kind === "display" || f.kind === "data") && f.snapshot === undefined
    ) && bundleFailuresFixable(step);
}

/** The image an image-snapshot failure saw, to be written as the snapshot. */
function snapshotBytes(step: StepReport, failure: ExpectationFailure): Uint8Array | undefined {
  const s = failure.snapshot;
  if (s === undefined) return undefined;
  const bundle = s.display === null ? step.actual?.data : step.actual?.displays?.[s.display]?.data;
  const bytes = bundle?.[s.mime];
  return bytes instanceof Uint8Array ? bytes : undefined;
}

/** The snapshot files `--update` writes: those of the steps it can fix. */
function snapshotUpdates(
  report: ScenarioReport,
): { file: string; bytes: Uint8Array; step: number }[] {
  const images = [];
  for (const step of report.steps) {
    if (step.kind !== "exec" || !canFix(step)) continue;
    for (const failure of step.failures) {
      const bytes = snapshotBytes(step, failure);
      if (bytes) images.push({ file: failure.snapshot!.file, bytes, step: step.index });
    }
  }
  return images;
}

/** Records in `report` what `update` did: fixed steps pass, and the scenario's status follows. */
function markUpdated(report: ScenarioReport, update: ScenarioUpdate): void {
  for (const step of report.steps) {
    if (!update.steps.includes(step.index)) continue;
    step.status = "passed";
    step.failures = [];
    step.updated = true;
  }
  report.expectationsWritten = update.written;
  report.status = report.steps.some((s) => s.status === "failed") ? "failed" : "passed";
}

/** Sets the failing fields of `expect`; returns the edits of nested maps (an `error` mapping). */
function fixExpectation(text: string, expect: MapEdit, step: StepReport, json: boolean): MapEdit[] {
  const actual = step.actual!;
  const failed = new Set(step.failures.map((f) => f.kind));
  const nested: MapEdit[] = [];
  if (failed.has("status") || failed.has("error.type") || failed.has("error.message")) {
    if (actual.status === "ok") {
      expect.remove("error");
      expect.remove("status");
    } else {
      if (actual.status === "error") expect.remove("status");
      else expect.set("status", actual.status);
      if (actual.error) {
        const current = expect.node("error");
        if (isMap(current)) {
          const error = new MapEdit(text, current as YAMLMap, { flow: expect.flow, json });
          if (failed.has("error.type") || failed.has("status")) {
            error.set("type", actual.error.type);
          }
          if (error.has("message") && failed.has("error.message")) {
            error.set("message", actual.error.message);
          }
          nested.push(error);
        } else if (failed.has("error.type") || failed.has("status")) {
          expect.set("error", actual.error.type);
        }
      } else expect.remove("error");
    }
  }
  for (const key of ["stdout", "stderr"] as const) {
    if (failed.has(key)) expect.set(key, actual[key]);
  }
  if (failed.has("repr")) expect.set("repr", actual.repr ?? "");
  for (const key of ["display", "data"] as const) {
    // An image that differs is fixed by its snapshot file alone: the scenario file stays.
    if (!step.failures.some((f) => f.kind === key && f.snapshot === undefined)) continue;
    const current = expect.node(key) as { toJSON?: () => unknown } | undefined;
    const fresh = freshBundleExpectation(key, current?.toJSON?.(), step);
    if (fresh === undefined) expect.remove(key);
    else expect.set(key, fresh);
  }
  if (failed.has("value")) {
    const plain = plainValue(actual.value);
    if (plain !== undefined) expect.set("value", plain);
    else if (actual.repr !== undefined) {
      expect.remove("value");
      expect.set("repr", actual.repr);
    } else expect.set("value", null);
  }
  return nested;
}
