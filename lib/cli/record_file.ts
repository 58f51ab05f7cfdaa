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
import { parseDocumentText } from "../scenario/document.ts";
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
 * The steps of a YAML file are added as text after its last step, every other byte kept (settings
 * that change, or a flow-style list, go through the yaml Document API, comments kept); a `.json`
 * file is rewritten as indented JSON. Integers beyond 2^53 stay exact either way. A file that no
 * longer parses throws (ScenarioValidationError), and is left as it is.
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
  // What is there must still parse (it may have been edited since it was read): else the caller
  // keeps the steps elsewhere, rather than this writing over a file it cannot read.
  const parsed = text === undefined ? undefined : parseDocumentText(text, file).data;
  if (extname(file).toLowerCase() === ".json") {
    // Parsed as scenarios are: an integer beyond 2^53 stays exact (JSON.parse rounded it).
    const data = (parsed ?? { name, steps: [] }) as Record<string, unknown>;
    const { env, ...plain } = settings;
    Object.assign(data, plain);
    if (env !== undefined) data.env = { ...data.env as object, ...env };
    data.steps = [...(Array.isArray(data.steps) ? data.steps : []), ...steps];
    await writeTextFileAtomic(file, jsonWithIntegers(data, 2) + "\n");
    return;
  }
  // A new file gets the settings above its steps; an existing one keeps its order and comments.
  const doc = text === undefined
    ? new Document({ name, ...settings, steps: [] })
    // Integers as bigints: an existing `value` beyond 2^53 is written back exactly.
    : parseDocument(text, { intAsBigInt: true });
  if (text !== undefined) {
    const { env, ...plain } = settings;
    const edits: [string[], unknown][] = [
      ...Object.entries(plain).map(([key, value]): [string[], unknown] => [[key], value]),
      ...Object.entries(env ?? {}).map((
        [key, value],
      ): [string[], unknown] => [["env", key], value]),
    ].filter(([path, value]) => String(doc.getIn(path)) !== String(value));
    const appended = edits.length === 0 ? appendedText(text, doc, steps) : undefined;
    if (appended !== undefined) return await writeTextFileAtomic(file, appended);
    for (const [path, value] of edits) doc.setIn(path, value);
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

/**
 * `text` with `steps` added after the last item of its block `steps:` list, every other byte as it
 * was (comments, quotes, spacing, numbers as written), or undefined when the list is empty or in
 * flow style (`[...]`): the document is then edited through its nodes.
 */
function appendedText(
  text: string,
  doc: Document,
  steps: (RecordedStep | RecordedControl)[],
): string | undefined {
  const list = doc.get("steps", true);
  if (!isSeq(list) || list.flow || list.items.length === 0 || !list.range) {
    return undefined;
  }
  const [start, end] = list.range;
  const indent = " ".repeat(start - (text.lastIndexOf("\n", start - 1) + 1));
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const items = new Document(steps).toString({ lineWidth: 0 }).replace(/\n$/, "").split("\n")
    .map((line) => line === "" ? line : indent + line).join(newline) + newline;
  const before = text.slice(0, end);
  const joint = before.endsWith("\n") ? "" : newline;
  return before + joint + items + text.slice(end);
}
