/**
 * `pyrepl3 record FILE`: a Python prompt over a session; each entry runs and becomes an `exec`
 * step expecting what came back. `exit`, `quit`, `:quit` or Ctrl-D writes the file, which is then
 * replayed by the scenario runner to say whether it passes.
 *
 * On a terminal the prompt is Python's own: completeness decided by `codeop` in the worker, line
 * editing and history (`node:readline`), Ctrl-C to cancel an entry or interrupt running code.
 * Piped stdin works too (no prompts). An existing file's steps run first, in a session configured
 * from that file (and the project's `pyrepl3.yaml`), so new entries see the state a run sees.
 *
 * @module
 */

import { basename, dirname, extname, relative, resolve } from "node:path";
import { WorkerStartError } from "../errors.ts";
import { resolvePython } from "../python.ts";
import { ConfigFinder } from "../scenario/config.ts";
import { isScenarioFile } from "../scenario/discover.ts";
import { DEFAULT_SESSION, loadScenario, parseScenario } from "../scenario/load.ts";
import { defaultSessionFactory, runScenarios } from "../scenario/run.ts";
import { DEFAULT_TIMEOUT_MS, ScenarioRun } from "../scenario/scenario_run.ts";
import type { Scenario } from "../scenario/types.ts";
import { Session } from "../session.ts";
import { type RecordOptions, UsageError } from "./args.ts";
import { PythonOptionError } from "./errors.ts";
import { exitCodeForSignal, StopSignals } from "./_stop_signals.ts";
import type { CliIO } from "./io.ts";
import { appendSteps, type FileSettings, type RecordedControl } from "./record_file.ts";
import { type LineSource, PipedLines, TerminalLines } from "./record_lines.ts";
import { runPrompt } from "./record_repl.ts";

/** Where `record` reads from: a terminal (prompts, line editing) or piped lines. */
export type RecordInput = LineSource | { lines: ReadableStream<Uint8Array> };

/**
 * Runs the prompt until `exit`/`quit`/end of input, appends the recorded steps to `options.file`
 * (created when missing), then replays the file. Returns the exit code: 0, or 1 when the
 * written file does not replay green.
 */
export async function recordCommand(
  options: RecordOptions,
  io: CliIO,
  input?: RecordInput,
): Promise<number> {
  await checkTarget(options);
  const settings = fileSettings(options);
  const existing = await existingScenario(options.file);
  const scenario = withSettings(existing ?? await newScenario(options.file), settings);
  const lines = input === undefined
    ? Deno.stdin.isTerminal() ? await TerminalLines.open(io) : new PipedLines(Deno.stdin.readable)
    : "lines" in input
    ? new PipedLines(input.lines)
    : input;
  // Ctrl-C or SIGTERM before the prompt (the file's steps replaying) stops, as it stops a run; the
  // terminal is not in raw mode yet, so a second one that exits at once leaves it as it was.
  const stops = new StopSignals(() => {});
  // The file's steps run first, through the scenario runner itself, so that new entries see the
  // state (sessions, checkpoints, cwd, env) they will see when the scenario is run.
  const run = new ScenarioRun(scenario, {
    sessionFactory: defaultSessionFactory,
    python: options.python,
    timeoutMs: options.timeoutMs,
    ...(options.hashSeed === undefined ? {} : { hashSeed: hashSeedOf(options.hashSeed) }),
    continueOnFailure: true,
    signal: stops.signal,
  });
  let recording;
  try {
    // Entries run in the main session; starting it first makes a bad --python fail at once.
    const session = await run.session(DEFAULT_SESSION);
    if (!(session instanceof Session)) throw new TypeError("record needs a Session");
    if (existing !== undefined && stops.received === undefined) {
      await replaySteps(run, options.file, io, stops.signal);
    }
    stops[Symbol.dispose]();
    if (stops.received !== undefined) {
      io.stderr(`pyrepl3: stopped (${stops.received}) before the prompt; nothing recorded\n`);
      return exitCodeForSignal(stops.received);
    }
    if (lines.interactive) {
      io.stdout(`Recording to ${options.file}; Ctrl-D, exit or quit writes the file.\n`);
    }
    using _ = lines.interactive ? restoreTerminalOn(["SIGTERM", "SIGHUP"]) : undefined;
    recording = await runPrompt(session, lines, io, {
      // The limit a run of the file gives a new step: --timeout, the file's, the config's.
      timeoutMs: options.timeoutMs ?? run.scenario.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      control: (step) => controlStep(run, step),
      takenSecrets: secretsRead(scenario),
      fileCheckpoints: new Set(
        scenario.steps.flatMap((step) => step.kind === "checkpoint" ? [step.name] : []),
      ),
    });
  } finally {
    stops[Symbol.dispose]();
    await lines.close();
    await run.close();
  }
  if (recording.steps.length === 0) {
    io.stderr(`pyrepl3: nothing recorded; ${options.file} left as it was\n`);
    return 0;
  }
  const noun = recording.steps.length === 1 ? "step" : "steps";
  try {
    await appendSteps(options.file, recording.steps, settings);
  } catch (error) {
    // The session is over: the steps are not lost with it (the directory went away, the file
    // became invalid or unwritable while recording).
    const saved = `${await Deno.makeTempDir({ prefix: "pyrepl3-record-" })}/${
      basename(options.file)
    }`;
    await appendSteps(saved, recording.steps, settings);
    io.stderr(
      `pyrepl3: cannot write ${options.file}: ${(error as Error).message}; ` +
        `the ${recording.steps.length} ${noun} recorded are in ${saved}\n`,
    );
    return 2;
  }
  io.stderr(`pyrepl3: wrote ${recording.steps.length} ${noun} to ${options.file}\n`);
  const written = secretsRead({ steps: recording.steps });
  for (const name of written) {
    io.stderr(`pyrepl3: a password was recorded as reply_env: ${name}; set ${name} to run it\n`);
  }
  const secrets = new Map([...recording.secrets].filter(([name]) => written.has(name)));
  return await replayFile(options.file, secrets, io);
}

/**
 * Refuses, before the prompt, a file no run would take as a scenario (`notes.txt`,
 * `pyrepl3.yaml`), a directory that does not exist and a `--python` that is no Python.
 */
async function checkTarget(options: RecordOptions): Promise<void> {
  if (!isScenarioFile(options.file)) {
    throw new UsageError(
      `record writes a scenario file: ${options.file} must end in .yaml, .yml or .json ` +
        "(and not be the project config file pyrepl3.yaml)",
    );
  }
  const dir = dirname(resolve(options.file));
  if (!(await isDirectory(dir))) {
    throw new UsageError(`record: ${dir} is no directory; create it first for ${options.file}`);
  }
  if (options.cwd !== undefined && !(await isDirectory(options.cwd))) {
    throw new UsageError(`--cwd ${options.cwd}: no such directory`);
  }
  if (options.python === undefined) return;
  try {
    await resolvePython(options.python);
  } catch (error) {
    if (!(error instanceof WorkerStartError)) throw error;
    throw new PythonOptionError(options.python, error);
  }
}

/**
 * While the prompt has the terminal in raw mode: SIGTERM or SIGHUP puts it back before exiting
 * (128 + the signal's number), as the signal's default action would not. Nothing is written.
 */
function restoreTerminalOn(signals: ("SIGTERM" | "SIGHUP")[]): Disposable {
  const listeners = signals.map((name) => {
    const listener = () => {
      try {
        Deno.stdin.setRaw(false);
      } catch {
        // The terminal is gone (SIGHUP): nothing to restore.
      }
      Deno.exit(name === "SIGTERM" ? 143 : 129);
    };
    Deno.addSignalListener(name, listener);
    return [name, listener] as const;
  });
  return {
    [Symbol.dispose]() {
      for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
    },
  };
}

/** The environment variables the steps read input replies from (`reply_env`). */
function secretsRead(scenario: { steps: readonly object[] }): Set<string> {
  return new Set(
    scenario.steps.flatMap((step) =>
      "inputs" in step && Array.isArray(step.inputs) ? step.inputs : []
    )
      .flatMap((input) =>
        typeof input === "object" && "reply_env" in input ? [input.reply_env] : []
      ),
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isDirectory ?? false;
}

/** The file keys the command line sets (`--cwd`, `--env`, `--python`, `--hash-seed`). */
function fileSettings(options: RecordOptions): FileSettings {
  const dir = dirname(resolve(options.file));
  return {
    ...(options.cwd === undefined ? {} : { cwd: relative(dir, resolve(options.cwd)) || "." }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.python === undefined ? {} : { python: options.python }),
    ...(options.hashSeed === undefined ? {} : { hash_seed: options.hashSeed }),
  };
}

/** The scenario as it will be once the command line's settings are written into the file. */
function withSettings(scenario: Scenario, settings: FileSettings): Scenario {
  const dir = dirname(resolve(scenario.file));
  return {
    ...scenario,
    ...(settings.cwd === undefined ? {} : { cwd: resolve(dir, settings.cwd) }),
    ...(settings.env === undefined ? {} : { env: { ...scenario.env, ...settings.env } }),
  };
}

function hashSeedOf(seed: number | "random"): number {
  return seed === "random" ? Math.floor(Math.random() * 4294967296) : seed;
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

/** The scenario a new file will hold: no steps yet, under the project's config file if any. */
async function newScenario(file: string): Promise<Scenario> {
  const name = basename(file, extname(file));
  const config = await new ConfigFinder().find(file);
  // A scenario must have steps: parse one, so that the config's keys are applied, then drop it.
  const text = JSON.stringify({ name, steps: [{ exec: "pass" }] });
  return { ...parseScenario(text, resolve(file), config), steps: [] };
}

/** Runs `:checkpoint NAME` or `:restore NAME` as the step a scenario run would. */
async function controlStep(run: ScenarioRun, step: RecordedControl): Promise<string | undefined> {
  const where = { index: run.scenario.steps.length, line: 0, column: 0, session: DEFAULT_SESSION };
  const report = await run.runStep(
    "checkpoint" in step
      ? { ...where, kind: "checkpoint", name: step.checkpoint }
      : { ...where, kind: "restore", name: step.restore },
  );
  if (report.status !== "failed") return undefined;
  return report.error ?? report.failures.map((f) => f.message).join("; ");
}

/** Runs every step of the file (even after one fails), saying which did not go as written. */
async function replaySteps(
  run: ScenarioRun,
  file: string,
  io: CliIO,
  stop: AbortSignal,
): Promise<void> {
  const { steps } = run.scenario;
  for (const step of steps) {
    if (stop.aborted) return;
    const report = await run.runStep(step);
    if (stop.aborted) return;
    if (report.status !== "failed") continue;
    const why = report.error ?? report.failures.map((f) => f.message).join("; ");
    io.stderr(`pyrepl3: step ${step.index + 1} of ${file} did not replay as written: ${why}\n`);
  }
  io.stderr(
    `pyrepl3: replayed ${steps.length} ${steps.length === 1 ? "step" : "steps"} of ${file}\n`,
  );
}

/** Runs the written file as `pyrepl3 FILE` would, the typed passwords in their variables. */
async function replayFile(file: string, secrets: Map<string, string>, io: CliIO): Promise<number> {
  const saved = new Map([...secrets.keys()].map((name) => [name, Deno.env.get(name)]));
  for (const [name, value] of secrets) Deno.env.set(name, value);
  try {
    const report = await runScenarios([file]);
    const failed = report.scenarios.flatMap((s) => s.steps).filter((s) => s.status === "failed");
    if (failed.length === 0) {
      io.stderr(`pyrepl3: replayed ${file}: it passes\n`);
      return 0;
    }
    for (const step of failed) {
      const why = step.error ?? step.failures.map((f) => f.message).join("; ");
      io.stderr(
        `pyrepl3: replayed ${file}: step ${step.index + 1} (${step.label}) fails: ${why}\n`,
      );
    }
    return 1;
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
}
