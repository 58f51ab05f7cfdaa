/**
 * What `pyrepl3 record` writes: an `exec` step per entry, with what came back as its
 * expectations, appended to a scenario file (an existing file keeps its comments).
 *
 * @module
 */

import { basename, extname } from "node:path";
import { Document, isSeq, parseDocument } from "npm:yaml@2.9.1";
import type { ExecutionResult } from "../results.ts";
import {
  expectationFrom,
  jsonWithIntegers,
  type WrittenExpectation,
} from "../scenario/expectation.ts";
import { readTextFileStrict } from "../scenario/read_text.ts";
import { writeTextFileAtomic } from "../_atomic_write.ts";

/** A reply given to an input prompt while recording. */
export type RecordedInput =
  | string
  | { prompt: string; reply: string }
  | { prompt: string; reply_env: string }
  | { eof: true };

/** An `exec` step as it is written to the file. */
export interface RecordedStep {
  /** The entry's code. */
  exec: string;
  /** The replies given to its input prompts, with the prompts they answered. */
  inputs?: RecordedInput[];
  /** `rollback_always` when the entry was run after `:rollback`. */
  transaction?: "rollback_always";
  /** The entry timed out: the limit it had, so that its replay times out there too. */
  timeout?: string;
  /** When Ctrl-C interrupted the entry, as a duration (`1.3s`): the replay interrupts it then. */
  interrupt_after?: string;
  /** What came back, as `expectationFrom()` writes it (absent when there is nothing to expect). */
  expect?: WrittenExpectation;
}

/** A checkpoint or restore step, from `:checkpoint NAME` and `:restore NAME`. */
export type RecordedControl = { checkpoint: string } | { restore: string };

/**
 * The step that expects exactly what `result` shows (see `expectationFrom()`, which `--update`
 * uses too), with the replies `inputs` that were given to its prompts.
 *
 * @example
 * ```ts
 * import { stepFromResult } from "./record_file.ts";
 * const step = stepFromResult("1 + 1", {
 *   status: "ok", value: 2, repr: "2", stdout: "", stderr: "", executionCount: 1, durationMs: 1,
 * });
 * if (step.expect?.value !== 2) throw new Error("value");
 * ```
 */
export function stepFromResult(
  code: string,
  result: ExecutionResult,
  inputs: RecordedInput[] = [],
): RecordedStep {
  const expect = expectationFrom(result);
  const step: RecordedStep = { exec: code };
  if (inputs.length > 0) step.inputs = inputs;
  if (Object.keys(expect).length > 0) step.expect = expect;
  return step;
}

/** Top-level keys `record` writes from its command line (`--cwd`, `--env`, `--python`, `--hash-seed`). */
export interface FileSettings {
  /** The working directory, relative to the file's directory. */
  cwd?: string;
  /** Variables merged into the file's `env`. */
  env?: Record<string, string>;
  /** The interpreter. */
  python?: string;
  /** `PYTHONHASHSEED`. */
  hash_seed?: number | "random";
}

/**
 * Appends `steps` to the scenario file `file`, creating it (named after the file) when missing.
 * A YAML file is edited through the yaml Document API, so its comments and layout stay; a
 * `.json` file is rewritten as indented JSON.
 */
export async function appendSteps(
  file: string,
  steps: (RecordedStep | RecordedControl)[],
  settings: FileSettings = {},
): Promise<void> {
  let text: string | undefined;
  try {
    text = await readTextFileStrict(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const name = basename(file, extname(file));
  if (extname(file).toLowerCase() === ".json") {
    const data = text === undefined ? { name, steps: [] } : JSON.parse(text);
    const { env, ...plain } = settings;
    Object.assign(data, plain);
    if (env !== undefined) data.env = { ...data.env, ...env };
    data.steps = [...(Array.isArray(data.steps) ? data.steps : []), ...steps];
    await writeTextFileAtomic(file, jsonWithIntegers(data, 2) + "\n");
    return;
  }
  // A new file gets the settings above its steps; an existing one keeps its order and comments.
  const doc = text === undefined
    ? new Document({ name, ...settings, steps: [] })
    : parseDocument(text);
  if (text !== undefined) {
    const { env, ...plain } = settings;
    for (const [key, value] of Object.entries(plain)) doc.set(key, value);
    for (const [key, value] of Object.entries(env ?? {})) doc.setIn(["env", key], value);
  }
  let list = doc.get("steps", true);
  if (!isSeq(list)) {
    doc.set("steps", doc.createNode([]));
    list = doc.get("steps", true);
  }
  if (!isSeq(list)) throw new TypeError("steps is not a list after setting it");
  for (const step of steps) list.add(doc.createNode(step));
  // A new file's empty `steps: []` was created in flow style; appended steps read better as a block.
  list.flow = false;
  await writeTextFileAtomic(file, doc.toString({ lineWidth: 0 }));
}
