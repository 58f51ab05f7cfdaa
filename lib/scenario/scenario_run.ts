/**
 * One run of one scenario: its named sessions, its checkpoints, and its steps run one at a time.
 * `runScenarios()` and `scenarioTests()` both drive scenarios through this class.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { ExecutionResult, InputReply } from "../results.ts";
import { type ExecuteOptions, resolveHashSeed, type SessionOptions } from "../options.ts";
import type { OutputOrderEntry, StepReport } from "../report/model.ts";
import { resultInOrder } from "../notebook/output_order.ts";
import { actualOf, checkExecution } from "./check.ts";
import type { ExecStep, Scenario, Step } from "./types.ts";
import { DEFAULT_SESSION } from "./load.ts";

/** What the scenario engine needs of a session; `Session` from `lib/session.ts` has it. */
export interface ScenarioSession {
  /** Runs code; the returned value is awaitable for the result. */
  execute(code: string, options?: ExecuteOptions): PromiseLike<ExecutionResult>;
  /**
   * Saves the namespace; the result is what `restore()` takes back. With `path`, the worker writes it to
   * that file.
   */
  checkpoint(options?: { path?: string }): Promise<unknown>;
  /** Puts back a namespace that `checkpoint()` saved, or the checkpoint file `{ path }`. */
  restore(checkpoint: unknown): Promise<unknown>;
  /** Keeps the changes of the open transaction. */
  commit(): Promise<unknown>;
  /** Undoes the changes of the open transaction. */
  rollback(): Promise<unknown>;
  /** Replaces the worker with a fresh one, losing all state. */
  restart(): Promise<unknown>;
  /** Stops the worker for good. */
  shutdown(): Promise<unknown>;
  /** The interpreter's Python version (`Session` has it; reports show it). */
  readonly pythonVersion?: string;
}

/** Makes a started session; the default makes a `Session` and starts it. */
export type SessionFactory = (
  options: SessionOptions,
  scenario?: ScenarioSessionHints,
) => Promise<ScenarioSession>;

/**
 * What else a scenario says of its sessions: its `warmup`, code a pool runs once in the template
 * its sessions are forked from (a factory that makes sessions one by one ignores it).
 */
export interface ScenarioSessionHints {
  /** Code run once in the template the sessions are forked from. */
  warmup?: string;
}

/** Options of a `ScenarioRun`. */
export interface ScenarioRunOptions {
  /** Makes each session the scenario uses. */
  sessionFactory: SessionFactory;
  /** The interpreter; overrides the file's `python`. */
  python?: string;
  /** Default step timeout in ms; overrides the file's `timeout` (a step's own wins). */
  timeoutMs?: number;
  /** `PYTHONHASHSEED` of the scenario's interpreters, overriding its `hash_seed` (default 0). */
  hashSeed?: number;
  /** Run every step even after one failed (for `--update`, which records them all). Default false. */
  continueOnFailure?: boolean;
  /** Stop a document at its first failed example (`--bail`); documents otherwise run them all. */
  bail?: boolean;
  /**
   * Stops the run (Ctrl-C in the CLI): a running cell is interrupted and its step fails with
   * "the run was stopped", and no later step runs. The abort reason, when a string (`SIGINT`),
   * is named in that message.
   */
  signal?: AbortSignal;
}

/** The step timeout when neither the step, the run nor the file gives one. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Runs the steps of one scenario in order, keeping its sessions and checkpoints between steps.
 * Close it (or `await using` it) to shut every session down.
 *
 * @example
 * ```ts
 * import { loadScenario } from "./load.ts";
 * import { ScenarioRun } from "./scenario_run.ts";
 * import { defaultSessionFactory } from "./run.ts";
 * const scenario = await loadScenario("scenarios/greeting.yaml");
 * await using run = new ScenarioRun(scenario, { sessionFactory: defaultSessionFactory });
 * for (const step of scenario.steps) console.log((await run.runStep(step)).status);
 * ```
 */
export class ScenarioRun implements AsyncDisposable {
  readonly scenario: Scenario;
  /** The `PYTHONHASHSEED` every session of this run starts with (`random` resolved once). */
  #pythonVersion = "";
  readonly hashSeed: number;
  readonly #options: ScenarioRunOptions;
  readonly #sessions = new Map<string, Promise<ScenarioSession>>();
  readonly #checkpoints = new Map<string, unknown>();
  #failed = false;
  #failFast = false;
  #stopReported = false;

  constructor(scenario: Scenario, options: ScenarioRunOptions) {
    this.scenario = scenario;
    this.#options = options;
    this.hashSeed = options.hashSeed ?? resolveHashSeed({ hashSeed: scenario.hashSeed ?? 0 });
  }

  /** Why the rest of the steps are skipped, when it is more than a failed step. */
  #skipCause: string | undefined;

  /** True once a step has failed; later steps should be skipped. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Runs `step` unless an earlier step failed, in which case it is reported as skipped. */
  async runStep(step: Step): Promise<StepReport> {
    if (this.#options.signal?.aborted) return this.#stopped(step, "before this step started");
    const keepGoing = this.scenario.keepGoing && !this.#options.bail;
    if (this.#failFast || this.#failed && !this.#options.continueOnFailure && !keepGoing) {
      return this.skip(step);
    }
    const start = performance.now();
    const report: StepReport = {
      index: step.index,
      kind: step.kind,
      label: stepLabel(step),
      ...stepSource(step),
      line: step.line,
      column: step.column,
      status: "passed",
      durationMs: 0,
      failures: [],
    };
    try {
      const session = await this.#session(step.session);
      switch (step.kind) {
        case "exec":
          await this.#exec(session, step, report);
          break;
        case "checkpoint":
          this.#checkpoints.set(
            step.name,
            await session.checkpoint(step.path === undefined ? {} : { path: this.#path(step) }),
          );
          break;
        case "restore": {
          if (step.path !== undefined) {
            await session.restore({ path: this.#path(step) });
            break;
          }
          if (!this.#checkpoints.has(step.name)) {
            throw new Error(`no checkpoint named '${step.name}' was taken`);
          }
          await session.restore(this.#checkpoints.get(step.name));
          break;
        }
        case "commit":
          await session.commit();
          break;
        case "rollback":
          await session.rollback();
          break;
        case "restart":
          await session.restart();
          break;
        default: {
          const never: never = step;
          throw new Error(`unknown step ${JSON.stringify(never)}`);
        }
      }
    } catch (e) {
      report.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    if (this.#options.signal?.aborted && step.kind === "exec") {
      // Whatever came back was cut short: it is neither checked nor written back by --update.
      this.#stopReported = true;
      report.error = `${stopText(this.#options.signal)} while this step ran`;
      report.failures = [];
      delete report.actual;
    }
    if (report.error !== undefined || report.failures.length > 0) {
      report.status = "failed";
      this.#failed = true;
    }
    report.durationMs = performance.now() - start;
    return report;
  }

  /** The report of a step that did not run. */
  skip(step: Step): StepReport {
    return {
      index: step.index,
      kind: step.kind,
      label: stepLabel(step),
      ...stepSource(step),
      line: step.line,
      column: step.column,
      status: "skipped",
      durationMs: 0,
      failures: [],
      ...(this.#skipCause !== undefined ? { skippedBecause: this.#skipCause } : {}),
    };
  }

  /** The session named `name`, started on first use (`record` runs new entries in `main`). */
  session(name: string): Promise<ScenarioSession> {
    return this.#session(name);
  }

  /** The first step not run because the run was stopped fails and says so; later ones are skipped. */
  #stopped(step: Step, when: string): StepReport {
    const report = this.skip(step);
    if (this.#stopReported) return report;
    this.#stopReported = true;
    this.#failed = true;
    return { ...report, status: "failed", error: `${stopText(this.#options.signal!)} ${when}` };
  }

  /** Shuts every session of the scenario down (errors while shutting down are ignored). */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(sessions.map(async (s) => (await s).shutdown()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The Python version of the scenario's first session (empty until one started). */
  get pythonVersion(): string {
    return this.#pythonVersion;
  }

  /** A checkpoint step's file, a relative path taken from the scenario file's directory. */
  #path(step: Step & { path?: string }): string {
    return resolve(dirname(resolve(step.file ?? this.scenario.file)), step.path!);
  }

  #session(name: string): Promise<ScenarioSession> {
    let session = this.#sessions.get(name);
    if (!session) {
      const s = this.scenario;
      session = this.#options.sessionFactory({
        python: this.#options.python ?? s.python,
        cwd: s.cwd,
        hashSeed: this.hashSeed,
        ...(s.env ? { env: s.env } : {}),
        ...(s.limits ? { limits: s.limits } : {}),
        ...(s.maxOutputChars ? { maxOutputChars: s.maxOutputChars } : {}),
      }, s.warmup ? { warmup: s.warmup } : {});
      session.then((started) => {
        this.#pythonVersion ||= started.pythonVersion ?? "";
      }, () => {});
      this.#sessions.set(name, session);
    }
    return session;
  }

  async #exec(session: ScenarioSession, step: ExecStep, report: StepReport): Promise<void> {
    const replies = [...(step.inputs ?? [])];
    let inputProblem: string | undefined;
    const onInput = ({ prompt }: { prompt: string }): InputReply => {
      const entry = replies.shift();
      if (entry === undefined) {
        inputProblem ??= `the code asked for input with prompt ${JSON.stringify(prompt)}, ` +
          `but no scripted reply was left (${howToReply(this.scenario.source)})`;
        return null;
      }
      if (typeof entry === "string") return entry;
      if ("eof" in entry) return null;
      if (entry.prompt !== prompt) {
        inputProblem ??= `expected prompt ${JSON.stringify(entry.prompt)}, ` +
          `but the code showed ${JSON.stringify(prompt)}`;
        return null;
      }
      if ("reply_env" in entry) {
        const reply = Deno.env.get(entry.reply_env);
        if (reply !== undefined) return reply;
        inputProblem ??= `the reply to ${JSON.stringify(prompt)} is read from the environment ` +
          `variable ${entry.reply_env}, which is not set: set it to run this scenario`;
        return null;
      }
      return entry.reply;
    };
    const timeout = this.timeoutOf(step);
    const abort = new AbortController();
    const timer = step.interruptAfterMs === undefined
      ? undefined
      : setTimeout(() => abort.abort(), step.interruptAfterMs);
    const stop = this.#options.signal;
    const signal = stop === undefined
      ? timer === undefined ? undefined : abort.signal
      : timer === undefined
      ? stop
      : AbortSignal.any([abort.signal, stop]);
    let result: ExecutionResult;
    let outputs: OutputOrderEntry[] | undefined;
    try {
      const running = session.execute(step.code, {
        onInput,
        timeoutMs: timeout.ms,
        ...(step.transaction ? { transaction: step.transaction } : {}),
        ...(signal !== undefined ? { signal } : {}),
        ...(step.doctest ? { doctest: step.doctest } : {}),
      });
      // A notebook's `--update` writes streams and displays in the order they came.
      if (this.scenario.source === "notebook") ({ result, outputs } = await resultInOrder(running));
      else result = await running;
    } finally {
      clearTimeout(timer);
    }
    // The crash (exit code or signal, stderr tail) goes with it: every reporter shows it.
    report.actual = { ...actualOf(result), ...(result.crash ? { crash: result.crash } : {}) };
    if (outputs !== undefined) {
      report.actual.outputs = outputs;
      if (report.actual.error && result.error) {
        report.actual.error.traceback = result.error.traceback;
      }
    }
    if (inputProblem !== undefined) {
      report.failures.push({ kind: "inputs", key: "inputs", message: inputProblem });
    } else if (replies.length > 0) {
      report.failures.push({
        kind: "inputs",
        key: "inputs",
        message:
          `${replies.length} scripted ${replies.length === 1 ? "reply was" : "replies were"} ` +
          `not used: the code asked for fewer inputs`,
      });
    }
    const failures = checkExecution(step, result, {
      dir: dirname(step.file ?? this.scenario.file),
    });
    if (result.status === "timeout") {
      // "Which limit was it?" is the first question a timeout raises: name it and where it was set.
      const why = `; the limit was ${showMs(timeout.ms)}, set by ${timeout.from}`;
      for (const f of failures) if (f.key === "status") f.message += why;
    }
    report.failures.push(...failures);
    if (result.doctest?.outcome === "skipped") report.status = "skipped";
    // doctest's FAIL_FAST, or a document's session that died (its state is gone): the rest is skipped.
    if (result.doctest?.failFast || result.stateLost && this.scenario.keepGoing) {
      this.#failFast = true;
      if (result.stateLost) {
        const how = result.status === "crashed" ? "crashed" : `was killed after a ${result.status}`;
        this.#skipCause =
          `the interpreter ${how} at line ${step.line}; the session's state is gone`;
      }
    }
  }

  /**
   * The timeout of an exec step and where it was set: the step's own `timeout:`, then the run's
   * (`--timeout`), then the file's (or its config file's) `timeout:`, then the 30 s default.
   */
  timeoutOf(step: ExecStep): { ms: number; from: string } {
    const s = this.scenario;
    if (step.timeoutMs !== undefined) {
      return {
        ms: step.timeoutMs,
        from: `the step's timeout: (${step.file ?? s.file}:${step.line})`,
      };
    }
    if (this.#options.timeoutMs !== undefined) {
      return { ms: this.#options.timeoutMs, from: "--timeout" };
    }
    if (s.timeoutMs !== undefined) {
      return { ms: s.timeoutMs, from: s.timeoutSource ?? `the file's timeout: (${s.file})` };
    }
    return { ms: DEFAULT_TIMEOUT_MS, from: "the default (no --timeout or timeout: was given)" };
  }
}

/** 250ms, 2s, 1.5s: a limit as a person would write it. */
function showMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/** "the run was stopped (SIGINT)": why the steps of a stopped run did not finish. */
function stopText(signal: AbortSignal): string {
  return typeof signal.reason === "string"
    ? `the run was stopped (${signal.reason})`
    : "the run was stopped";
}

/** The whole code and the input replies of an exec step, for reporters that show them. */
function stepSource(step: Step): Pick<StepReport, "code" | "inputs"> {
  if (step.kind !== "exec") return {};
  if (step.inputs === undefined || step.inputs.length === 0) return { code: step.code };
  const inputs = step.inputs.map((entry) =>
    typeof entry === "string"
      ? entry
      : "eof" in entry
      ? "EOF"
      : `${entry.prompt} → ${"reply_env" in entry ? `$${entry.reply_env}` : entry.reply}`
  );
  return { code: step.code, inputs };
}

/** A short label for a step: the first line of its code, or `checkpoint NAME`, `restart`... */
export function stepLabel(step: Step): string {
  const where = step.session === DEFAULT_SESSION ? "" : ` [${step.session}]`;
  switch (step.kind) {
    case "exec": {
      const lines = step.code.split("\n").filter((l) => l.trim() !== "");
      const first = (lines[0] ?? "").trim();
      const short = first.length > 60 ? `${first.slice(0, 57)}...` : first;
      return `${short}${lines.length > 1 ? " ..." : ""}${where}`;
    }
    case "checkpoint":
    case "restore":
      return `${step.kind} ${step.name}${where}`;
    default:
      return `${step.kind}${where}`;
  }
}

/** Where a reply to an input prompt is scripted, in the words of the scenario's source. */
function howToReply(source: Scenario["source"]): string {
  return source === undefined || source === "scenario"
    ? "add one to 'inputs'"
    : `add one with a directive: # pyrepl3: inputs=["..."]`;
}
