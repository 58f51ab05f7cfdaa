/**
 * `pyrepl3 record FILE`: a Python prompt over a session; each entry runs and becomes an `exec`
 * step expecting what came back. `exit`, `quit` or end of input writes the file.
 *
 * Entries are read like the Python REPL reads them (`>>> `, then `... ` while a block, a bracket
 * or a triple-quoted string is open, until a blank line ends a block). Input prompts the code
 * shows are answered from the same input and recorded as the step's `inputs`. Piped stdin works.
 *
 * @module
 */

import { basename, dirname, extname, resolve } from "node:path";
import type { ExecutionResult } from "../results.ts";
import { DEFAULT_SESSION, loadScenario } from "../scenario/load.ts";
import { defaultSessionFactory } from "../scenario/run.ts";
import { ScenarioRun, type ScenarioSession } from "../scenario/scenario_run.ts";
import type { Scenario } from "../scenario/types.ts";
import { needsContinuation } from "./_continuation.ts";
import { LineReader } from "./_lines.ts";
import type { RecordOptions } from "./args.ts";
import type { CliIO } from "./io.ts";
import {
  appendSteps,
  type RecordedInput,
  type RecordedStep,
  stepFromResult,
} from "./record_file.ts";

/** Entries that end the recording, as in the Python REPL. */
const QUIT = new Set(["exit", "quit", "exit()", "quit()"]);

/** Where `record` reads from, and whether to show `>>> ` prompts. */
export interface RecordInput {
  /** The entries (and replies to input prompts), line by line. */
  lines: ReadableStream<Uint8Array>;
  /** Show the `>>> ` and `... ` prompts (when a person is typing). */
  showPrompts: boolean;
}

/**
 * Runs the prompt until `exit`/`quit`/end of input, then appends the recorded steps to
 * `options.file` (created when missing). Returns the exit code (0).
 */
export async function recordCommand(
  options: RecordOptions,
  io: CliIO,
  input: RecordInput = { lines: Deno.stdin.readable, showPrompts: Deno.stdin.isTerminal() },
): Promise<number> {
  const existing = await existingScenario(options.file);
  const reader = new LineReader(input.lines);
  // The file's steps run first, through the scenario runner itself, so that new entries see the
  // state (sessions, checkpoints, cwd, env) they will see when the scenario is run.
  const run = new ScenarioRun(existing ?? newScenario(options.file), {
    sessionFactory: defaultSessionFactory,
    python: options.python,
    timeoutMs: options.timeoutMs,
    continueOnFailure: true,
  });
  const steps: RecordedStep[] = [];
  // On a terminal, Ctrl-C interrupts the running code (KeyboardInterrupt) instead of killing
  // the recorder and losing the steps; at the prompt it only reminds how to finish.
  let running: AbortController | undefined;
  const onSigint = () => {
    if (running !== undefined) running.abort();
    else io.stderr("\nuse exit, quit or Ctrl-D to finish\n");
  };
  if (input.showPrompts) Deno.addSignalListener("SIGINT", onSigint);
  try {
    // Entries run in the main session; starting it first makes a bad --python fail at once.
    const session = await run.session(DEFAULT_SESSION);
    if (existing !== undefined) await replay(run, options.file, io);
    if (input.showPrompts) {
      io.stdout(`Recording to ${options.file}; exit, quit or Ctrl-D writes the file.\n`);
    }
    while (true) {
      const code = await readEntry(reader, io, input.showPrompts);
      if (code === null || QUIT.has(code.trim())) break;
      if (code.trim() === "") continue;
      running = new AbortController();
      const { result, inputs, ended } = await runEntry(session, code, reader, io, {
        timeoutMs: options.timeoutMs,
        signal: running.signal,
      }).finally(() => running = undefined);
      steps.push(stepFromResult(code, result, inputs));
      if (ended) break;
    }
  } finally {
    if (input.showPrompts) Deno.removeSignalListener("SIGINT", onSigint);
    await reader.cancel();
    await run.close();
  }
  if (steps.length === 0) {
    io.stderr(`pyrepl3: nothing recorded; ${options.file} left as it was\n`);
    return 0;
  }
  await appendSteps(options.file, steps);
  const noun = steps.length === 1 ? "step" : "steps";
  io.stderr(`pyrepl3: wrote ${steps.length} ${noun} to ${options.file}\n`);
  return 0;
}

/** The scenario already in `file` (validated), or undefined when there is no such file. */
async function existingScenario(file: string): Promise<Scenario | undefined> {
  try {
    await Deno.stat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return await loadScenario(file);
}

/** The scenario a new file will hold: no steps yet, run in the file's directory. */
function newScenario(file: string): Scenario {
  const name = basename(file, extname(file));
  return { name, file, tags: [], cwd: dirname(resolve(file)), steps: [] };
}

/** Runs every step of the file (even after one fails), saying which did not go as written. */
async function replay(run: ScenarioRun, file: string, io: CliIO): Promise<void> {
  const { steps } = run.scenario;
  for (const step of steps) {
    const report = await run.runStep(step);
    if (report.status !== "failed") continue;
    const why = report.error ?? report.failures.map((f) => f.message).join("; ");
    io.stderr(`pyrepl3: step ${step.index + 1} of ${file} did not replay as written: ${why}\n`);
  }
  io.stderr(
    `pyrepl3: replayed ${steps.length} ${steps.length === 1 ? "step" : "steps"} of ${file}\n`,
  );
}

/** Reads one entry (several lines while it is incomplete); `null` at end of input. */
async function readEntry(reader: LineReader, io: CliIO, prompts: boolean): Promise<string | null> {
  const lines: string[] = [];
  while (true) {
    if (prompts) io.stdout(lines.length === 0 ? ">>> " : "... ");
    const line = await reader.readLine();
    if (line === null) return lines.length === 0 ? null : lines.join("\n");
    if (lines.length === 0 && line.trim() === "") return "";
    lines.push(line);
    if (!needsContinuation(lines.join("\n"))) {
      while (lines.length > 1 && lines[lines.length - 1].trim() === "") lines.pop();
      return lines.join("\n");
    }
  }
}

interface EntryOutcome {
  result: ExecutionResult;
  inputs: RecordedInput[];
  /** Input ended while the code was reading from it: record this entry, then stop. */
  ended: boolean;
}

/** Runs an entry, echoing its output and answering its input prompts from `reader`. */
async function runEntry(
  session: ScenarioSession,
  code: string,
  reader: LineReader,
  io: CliIO,
  options: { timeoutMs?: number; signal: AbortSignal },
): Promise<EntryOutcome> {
  const inputs: RecordedInput[] = [];
  let ended = false;
  const result = await session.execute(code, {
    ...options,
    onOutput: (stream, data) => stream === "stdout" ? io.stdout(data) : io.stderr(data),
    // The prompt itself arrives as stdout output (input() writes it), so it is not echoed here.
    onInput: async ({ prompt }) => {
      const reply = await reader.readLine();
      if (reply === null) {
        ended = true;
        inputs.push({ eof: true });
        return null;
      }
      inputs.push(prompt === "" ? reply : { prompt, reply });
      return reply;
    },
  });
  if (result.status === "ok" && result.repr !== undefined) io.stdout(result.repr + "\n");
  if (result.error !== undefined) io.stderr(result.error.traceback || `${result.error.type}\n`);
  return { result, inputs, ended };
}
