/**
 * A session's current interpreter and its lifecycle: taking one from the keeper, replacing it,
 * noticing its death, and the state every call checks first.
 *
 * @module
 */
import { SessionClosedError, SessionDeadError } from "./errors.ts";
import type { ExecutionQueue } from "./execution_queue.ts";
import { Interpreter, type InterpreterEnd, type InterpreterSetup } from "./interpreter.ts";
import type { Keeper } from "./keeper.ts";
import type { InterpreterSource } from "./keeper_source.ts";
import { displaySetup, type SessionOptions } from "./options.ts";
import type { WireDisplay } from "./protocol.ts";

/** The lifecycle state of a session. */
export type SessionState = "new" | "starting" | "ready" | "dead" | "closed";

/** The slot a session's interpreter lives in. */
export class InterpreterSlot {
  /** How many times the interpreter was replaced (restart(), a kill after a timeout). */
  restarts = 0;
  readonly #label: string;
  readonly #options: SessionOptions;
  readonly #source: InterpreterSource;
  readonly #executions: ExecutionQueue;
  #state: SessionState = "new";
  #closedReason = "shut down";
  #deathReason = "";
  #keeper: Keeper | null = null;
  #interpreter: Interpreter | null = null;
  #starting: Promise<void> | null = null;

  /** A slot for the session `label`, whose interpreters come from `source`. */
  constructor(
    label: string,
    options: SessionOptions,
    source: InterpreterSource,
    executions: ExecutionQueue,
  ) {
    this.#label = label;
    this.#options = options;
    this.#source = source;
    this.#executions = executions;
  }

  /** The lifecycle state. */
  get state(): SessionState {
    return this.#state;
  }

  /** The interpreter now, if any. */
  get current(): Interpreter | null {
    return this.#interpreter;
  }

  /** Takes the first interpreter (once, however often it is called while starting). */
  start(): Promise<void> {
    if (this.#state === "closed") return Promise.reject(this.closedError());
    if (this.#state === "ready") return Promise.resolve();
    if (!this.#starting) {
      this.#state = "starting";
      this.#starting = this.connect().finally(() => (this.#starting = null));
    }
    return this.#starting;
  }

  /** The interpreter to run on; throws the typed error of the state otherwise. */
  usable(): Interpreter {
    if (this.#state === "dead") throw new SessionDeadError(this.#label, this.#deathReason);
    if (this.#state === "closed") throw this.closedError();
    if (this.#state !== "ready" || !this.#interpreter) {
      throw new SessionClosedError(this.#label, describeState(this.#state));
    }
    return this.#interpreter;
  }

  /** Ends the current interpreter now (restart); the caller queues `connect()` for the next one. */
  stopForRestart(): void {
    this.restarts++;
    this.#stop(new SessionClosedError(this.#label, "restarting"));
    if (this.#state === "ready") this.#state = "starting";
  }

  /** Replaces an interpreter that had to be killed (a timeout); never rejects. */
  replace(): Promise<void> {
    this.restarts++;
    return this.connect().catch(() => {});
  }

  /**
   * Closes the slot for good (`reason`: why later calls fail). The keeper it owns ends too, unless
   * `keepKeeper` (a pool's member released for renewal keeps its own keeper warm).
   */
  async close(reason: string, keepKeeper = false): Promise<void> {
    if (this.#state === "closed") return;
    this.#closedReason = reason;
    this.#state = "closed";
    this.#stop(this.closedError());
    if (this.#source.ownsKeeper && !keepKeeper) await this.#keeper?.close();
  }

  /** The error for calls on a closed session. */
  closedError(): SessionClosedError {
    return new SessionClosedError(this.#label, this.#closedReason);
  }

  /** Takes a fresh interpreter from the keeper (starting the keeper if needed). */
  async connect(): Promise<void> {
    this.#stop(new SessionClosedError(this.#label, "restarting"));
    try {
      if (!this.#keeper || this.#keeper.closed) this.#keeper = await this.#source.keeper();
      // display travels in the setup request like the rest (InterpreterSetup is spread into it).
      const setup: InterpreterSetup & { display?: WireDisplay; maxValueChars?: number } = {
        cwd: this.#options.cwd,
        env: this.#options.env,
        limits: this.#options.limits,
        timeoutMs: this.#options.startTimeoutMs,
      };
      const display = displaySetup(this.#options);
      if (display) setup.display = display;
      if (this.#options.maxOutputChars !== undefined) {
        setup.maxValueChars = this.#options.maxOutputChars;
      }
      const interpreter = await Interpreter.take(
        this.#keeper,
        setup,
        this.#executions.events,
        this.#label,
      );
      if (this.#state === "closed") {
        // close() was called while this start was in flight: undo it.
        interpreter.kill(this.closedError());
        throw this.closedError();
      }
      this.#interpreter = interpreter;
      interpreter.ended.then((end) => this.#onEnded(interpreter, end));
      this.#executions.executionCount = 0;
      this.#executions.openTransaction = false;
      this.#deathReason = "";
      this.#state = "ready";
    } catch (error) {
      if (this.#state !== "closed") {
        this.#state = "dead";
        this.#deathReason = (error as Error).message;
      }
      if (this.#source.ownsKeeper) await this.#keeper?.close();
      throw error;
    }
  }

  #stop(reason: Error): void {
    const interpreter = this.#interpreter;
    this.#interpreter = null;
    interpreter?.kill(reason);
    this.#executions.failRunning(reason);
  }

  #onEnded(interpreter: Interpreter, end: InterpreterEnd): void {
    if (interpreter !== this.#interpreter || this.#state !== "ready") return;
    this.#interpreter = null;
    this.#state = "dead";
    this.#deathReason = end.reason;
    this.#executions.crashRunning((running) => ({
      exitCode: end.exit?.code ?? null,
      signal: end.exit?.signal ?? null,
      stderrTail: running.stderrTail(interpreter.stderrTail()),
    }));
  }
}

function describeState(state: SessionState): string {
  return state === "new" ? "not started" : state === "closed" ? "shut down" : state;
}
