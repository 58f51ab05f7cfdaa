/**
 * Session: one long-lived Python interpreter driven from Deno. The API, the queue of executions,
 * timeouts, and the one place that builds a result; the interpreter process itself is
 * {@linkcode Interpreter}'s.
 *
 * @module
 */
import {
  CheckpointError,
  InvalidOptionError,
  NoTransactionError,
  SessionClosedError,
  SessionDeadError,
  TransactionError,
  UnknownInputError,
  WorkerRequestError,
} from "./errors.ts";
import { createExecution, type Execution } from "./execution.ts";
import { Checkpoint, openCheckpoint, sealCheckpoint } from "./checkpoint.ts";
import { type Reply, RequestFailure } from "./connection.ts";
import { Interpreter, type InterpreterEnd } from "./interpreter.ts";
import { Keeper } from "./keeper.ts";
import type { ControlRequest, ResultMessage } from "./protocol.ts";
import { type InputRoute, RunningExecution } from "./running_execution.ts";
import type {
  ExecuteOptions,
  ExecutionResult,
  InputReply,
  RestoreOptions,
  SessionOptions,
  TransactionPolicy,
} from "./results.ts";
import { normalizePolicy } from "./transactions.ts";
import { keeperOptions, validateExecuteOptions, validateSessionOptions } from "./options.ts";

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const DEFAULT_GRACE_MS = 2000;

/** Where a session's interpreters come from: its own keeper, or a pool's shared one. */
export interface InterpreterSource {
  /** The keeper to take interpreters from. */
  keeper(): Promise<Keeper>;
  /** Whether the session owns the keeper (and closes it at shutdown). */
  readonly ownsKeeper: boolean;
}

/** The lifecycle state of a session. */
export type SessionState = "new" | "starting" | "ready" | "dead" | "closed";

let sessionCounter = 0;
/** Set by sessionWithSource() for the one constructor call it makes. */
let givenSource: InterpreterSource | null = null;
let release: (session: Session) => void;

/**
 * A persistent Python session. Names, functions, classes and imports persist between executions;
 * output streams while code runs; `input()` prompts come back to the caller; errors come back as data.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * await using session = new Session();
 * await session.start();
 * const result = await session.execute("x = 42\nx * 2");
 * console.log(result.value); // 84
 * ```
 */
export class Session implements AsyncDisposable {
  /** A label for messages, unique in this Deno process. */
  readonly id: string;
  readonly #options: SessionOptions;
  readonly #source: InterpreterSource;
  #state: SessionState = "new";
  #closedReason = "shut down";
  #keeper: Keeper | null = null;
  #interpreter: Interpreter | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  /** Executions not yet finished, in call order: the first one is running or next to run. */
  #executions: RunningExecution[] = [];
  #deathReason = "";
  #nextId = 0;
  #openTransaction = false;
  #restarts = 0;
  #timeouts = 0;
  #executionCount = 0;
  #startPromise: Promise<void> | null = null;

  static {
    release = (session) => session.#release();
  }

  /** Creates a session; call `start()` before executing code. */
  constructor(options: SessionOptions = {}) {
    validateSessionOptions(options);
    this.#options = { ...options };
    this.id = `s${++sessionCounter}`;
    this.#source = givenSource ?? ownKeeperSource(this.#options);
    givenSource = null;
  }

  /** The lifecycle state: `new`, `starting`, `ready`, `dead` (worker died; call restart) or `closed`. */
  get state(): SessionState {
    return this.#state;
  }

  /** True when the session can run code. */
  get alive(): boolean {
    return this.#state === "ready";
  }

  /** The pid of the process now running user code (it changes when a transaction rolls back). */
  get pid(): number {
    return this.#interpreter?.pid ?? 0;
  }

  /** The Python version of the worker, e.g. `3.11.7` (empty before start). */
  get pythonVersion(): string {
    return this.#interpreter?.python ?? "";
  }

  /** True while an explicit transaction is open (between its first execution and commit/rollback). */
  get inTransaction(): boolean {
    return this.#openTransaction;
  }

  /** How many executions ended with status `timeout`. */
  get timeouts(): number {
    return this.#timeouts;
  }

  /** How many times the interpreter was replaced (restart(), or a timeout that needed a kill). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Starts the worker. Resolves when the interpreter is ready for code. */
  start(): Promise<void> {
    if (this.#state === "closed") return Promise.reject(this.#closedError());
    if (this.#state === "ready") return Promise.resolve();
    if (!this.#startPromise) {
      this.#state = "starting";
      this.#startPromise = this.#connect().finally(() => (this.#startPromise = null));
    }
    return this.#startPromise;
  }

  /**
   * Runs `code` in the session. Await the returned {@linkcode Execution} for the result, or iterate it
   * for events. Executions run one at a time, in call order.
   */
  execute(code: string, options: ExecuteOptions = {}): Execution {
    if (typeof code !== "string") {
      throw new InvalidOptionError("execute(code): code must be a string");
    }
    validateExecuteOptions(options);
    const { execution, control } = createExecution(`e${++this.#nextId}`);
    const running = new RunningExecution(
      execution.id,
      control,
      options,
      this.#options.maxOutputChars ?? DEFAULT_MAX_OUTPUT,
    );
    this.#executions.push(running);
    control.settled.then(() => this.#forget(running));
    if (options.signal) {
      const onAbort = () => this.#interrupt(running);
      if (options.signal.aborted) onAbort();
      options.signal.addEventListener("abort", onAbort, { once: true });
      control.settled.then(() => options.signal?.removeEventListener("abort", onAbort));
    }
    this.#enqueue(() => this.#run(running, code, options)).catch((error) => control.fail(error));
    return execution;
  }

  /** Answers input request `id` (from an `input` event) with text, or `null` for end of input. */
  async inputResponse(id: string, reply: InputReply): Promise<void> {
    if (reply !== null && typeof reply !== "string") {
      throw new InvalidOptionError("inputResponse(id, reply): reply must be a string or null");
    }
    const running = this.#executions[0];
    if (!running || !running.waitingInputs.has(id)) throw new UnknownInputError(id);
    running.waitingInputs.delete(id);
    await this.#usable().send({ t: "input_reply", inputId: id, text: reply });
  }

  /**
   * Raises KeyboardInterrupt in the running code (status `interrupted`). Called right after
   * `execute()`, before the cell started, it interrupts that cell as soon as it starts. Does nothing
   * when no execution is running or queued.
   */
  interrupt(): Promise<void> {
    const running = this.#executions[0];
    if (running) this.#interrupt(running);
    return Promise.resolve();
  }

  /** Keeps the changes of the open explicit transaction. */
  async commit(): Promise<void> {
    await this.#enqueue(() => this.#request({ op: "commit" }));
    this.#openTransaction = false;
  }

  /**
   * Returns the session to its state before the open explicit transaction. Throws TransactionError,
   * with the session's state unchanged and the transaction closed, when the savepoint was lost.
   */
  async rollback(): Promise<void> {
    try {
      await this.#enqueue(() => this.#request({ op: "rollback" }));
    } finally {
      this.#openTransaction = false;
    }
  }

  /** Saves the session's namespace as a signed {@linkcode Checkpoint}. */
  checkpoint(): Promise<Checkpoint> {
    return this.#enqueue(async () => {
      const reply = await this.#request({ op: "checkpoint" });
      return await sealCheckpoint(reply.data, { key: this.#options.checkpointKey });
    });
  }

  /**
   * Makes the namespace hold exactly the checkpoint's names (in this or any other session). The
   * checkpoint's signature is checked before anything reaches the interpreter; pass `trust: true` to
   * restore one that was not signed with this session's key.
   */
  async restore(checkpoint: Checkpoint | Uint8Array, options: RestoreOptions = {}): Promise<void> {
    const data = checkpoint instanceof Checkpoint ? checkpoint.data : checkpoint;
    if (!(data instanceof Uint8Array)) {
      throw new InvalidOptionError("restore(checkpoint): pass a Checkpoint or its bytes");
    }
    const raw = await openCheckpoint(data, { key: this.#options.checkpointKey, ...options });
    await this.#enqueue(async () => {
      await this.#request({ op: "restore", blob: raw.length }, raw);
    });
  }

  /**
   * Ends the worker at once and starts a fresh interpreter with an empty namespace. A running execution,
   * and any queued before this call, reject with SessionClosedError.
   */
  async restart(): Promise<void> {
    if (this.#state === "closed") throw this.#closedError();
    this.#restarts++;
    this.#stopInterpreter(new SessionClosedError(this.id, "restarting"));
    if (this.#state === "ready") this.#state = "starting";
    await this.#enqueue(() => this.#connect());
  }

  /** Ends the worker. The session cannot run code afterwards. */
  async shutdown(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#stopInterpreter(this.#closedError());
    if (this.#source.ownsKeeper) await this.#keeper?.close();
    await this.#queue.catch(() => {});
  }

  /** Shuts the session down (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // -- the interpreter --------------------------------------------------------------------------------

  async #connect(): Promise<void> {
    this.#stopInterpreter(new SessionClosedError(this.id, "restarting"));
    try {
      if (!this.#keeper || this.#keeper.closed) this.#keeper = await this.#source.keeper();
      const interpreter = await Interpreter.take(this.#keeper, {
        cwd: this.#options.cwd,
        env: this.#options.env,
        limits: this.#options.limits,
      }, {
        output: (stream, data) => this.#executions[0]?.output(stream, data),
        input: (inputId, prompt, password) => this.#onInput(inputId, prompt, password),
        result: (message) => this.#onResult(message),
      }, this.id);
      if (this.#state === "closed") {
        // shutdown() was called while this start was in flight: undo it.
        interpreter.kill(this.#closedError());
        throw this.#closedError();
      }
      this.#interpreter = interpreter;
      interpreter.ended.then((end) => this.#onEnded(interpreter, end));
      this.#executionCount = 0;
      this.#deathReason = "";
      this.#openTransaction = false;
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

  #stopInterpreter(reason: Error): void {
    const interpreter = this.#interpreter;
    this.#interpreter = null;
    interpreter?.kill(reason);
    const running = this.#executions[0];
    if (running?.sent) {
      running.clearTimers();
      running.execution.fail(reason);
    }
  }

  /** The pool took this handle back: it cannot be used again; its interpreter ends. */
  #release(): void {
    if (this.#state === "closed") return;
    this.#closedReason = "released to its pool; acquire a new session";
    this.#state = "closed";
    this.#stopInterpreter(this.#closedError());
  }

  #onEnded(interpreter: Interpreter, end: InterpreterEnd): void {
    if (interpreter !== this.#interpreter || this.#state !== "ready") return;
    this.#interpreter = null;
    this.#state = "dead";
    this.#deathReason = end.reason;
    const running = this.#executions[0];
    if (!running?.sent) return;
    this.#settle(running, {
      status: running.timedOut ? "timeout" : "crashed",
      crash: {
        exitCode: end.exit?.code ?? null,
        signal: end.exit?.signal ?? null,
        stderrTail: running.stderrTail(interpreter.stderrTail()),
      },
    });
  }

  // -- executions -------------------------------------------------------------------------------------

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => {});
    return next;
  }

  #forget(running: RunningExecution): void {
    running.clearTimers();
    const index = this.#executions.indexOf(running);
    if (index >= 0) this.#executions.splice(index, 1);
  }

  #usable(): Interpreter {
    if (this.#state === "dead") throw new SessionDeadError(this.id, this.#deathReason);
    if (this.#state === "closed") throw this.#closedError();
    if (this.#state !== "ready" || !this.#interpreter) {
      throw new SessionClosedError(this.id, describeState(this.#state));
    }
    return this.#interpreter;
  }

  async #run(running: RunningExecution, code: string, options: ExecuteOptions): Promise<void> {
    const interpreter = this.#usable();
    if (options.timeoutMs !== undefined) {
      this.#armTimeout(running, options.timeoutMs, options.graceMs);
    }
    running.sent = true;
    const transaction = normalizePolicy(options.transaction);
    await interpreter.send({ t: "exec", id: running.id, code, transaction });
    if (running.interrupted) this.#interrupt(running);
    await running.execution.settled;
    await running.recovery;
  }

  #interrupt(running: RunningExecution): void {
    running.interrupted = true;
    const interpreter = this.#interpreter;
    if (!running.sent || !interpreter || this.#executions[0] !== running) return;
    // The frame first, then the signal: a signal that lands before the cell starts is dropped by the
    // worker, but by then the frame is readable, and the worker checks for it as the cell starts.
    interpreter.send({ t: "interrupt", id: running.id }).catch(() => {});
    interpreter.interrupt();
  }

  #armTimeout(running: RunningExecution, timeoutMs: number, graceMs = DEFAULT_GRACE_MS): void {
    running.after(timeoutMs, () => {
      running.timedOut = true;
      this.#interrupt(running);
      running.after(graceMs, () => this.#killForTimeout(running));
    });
  }

  #killForTimeout(running: RunningExecution): void {
    if (this.#executions[0] !== running) return;
    this.#settle(running, {
      status: "timeout",
      crash: { exitCode: null, signal: "SIGKILL", stderrTail: "" },
    });
    this.#restarts++;
    // Same tick as #settle: #run awaits this before the next queued call starts.
    running.recovery = this.#connect().catch(() => {});
  }

  /** The one place a result is built: from the worker's result, a timeout kill, or a death. */
  #settle(
    running: RunningExecution,
    ending: { message: ResultMessage } | Pick<ExecutionResult, "status" | "crash">,
  ): void {
    let result: ExecutionResult;
    if ("message" in ending) {
      const message = ending.message;
      const status = message.status === "interrupted" && running.timedOut
        ? "timeout"
        : message.status;
      result = running.result(status, message.executionCount);
      if (message.hasValue) result.value = message.value;
      if (message.repr !== undefined) result.repr = message.repr;
      if (message.error) result.error = message.error;
      if (message.transaction) {
        result.transaction = message.transaction;
        if (message.transaction.outcome === "pending") this.#openTransaction = true;
      }
      if (status === "timeout") result.stateLost = false;
      this.#executionCount = message.executionCount;
    } else {
      result = { ...running.result(ending.status, this.#executionCount), crash: ending.crash };
      result.stateLost = true;
    }
    if (result.status === "timeout") this.#timeouts++;
    running.finish(result);
  }

  async #request<R extends ControlRequest>(
    request: R,
    blob?: Uint8Array,
  ): Promise<Reply<R["op"]>> {
    const interpreter = this.#usable();
    try {
      const reply = await interpreter.request(request, blob);
      this.#executionCount = reply.executionCount;
      return reply;
    } catch (error) {
      if (!(error instanceof RequestFailure)) throw error;
      this.#executionCount = error.reply.executionCount;
      throw requestError(error);
    }
  }

  #onInput(inputId: string, prompt: string, password: boolean): void {
    const running = this.#executions[0];
    if (!running?.sent) return;
    const answer = (route: InputRoute) => {
      if (this.#executions[0] !== running || "wait" in route) return;
      running.waitingInputs.delete(inputId);
      const reply = "reply" in route
        ? { t: "input_reply" as const, inputId, text: route.reply }
        : { t: "input_reply" as const, inputId, text: null, error: route.error };
      this.#interpreter?.send(reply).catch(() => {});
    };
    const route = running.input(inputId, prompt, password);
    if (route instanceof Promise) route.then(answer);
    else answer(route);
  }

  #onResult(message: ResultMessage): void {
    const running = this.#executions[0];
    if (!running?.sent || running.id !== message.id) return;
    this.#settle(running, { message });
  }

  #closedError(): SessionClosedError {
    return new SessionClosedError(this.id, this.#closedReason);
  }
}

/** A session that takes its interpreters from `source` (SessionPool's; not part of the public API). */
export function sessionWithSource(options: SessionOptions, source: InterpreterSource): Session {
  givenSource = source;
  try {
    return new Session(options);
  } finally {
    givenSource = null;
  }
}

/** Closes a pooled session's handle for good: later calls throw SessionClosedError (internal). */
export function releaseSession(session: Session): void {
  release(session);
}

/** Starts a keeper for `options`, with the warmup run in it when given (sessions and pools alike). */
export function startKeeper(
  options: SessionOptions,
  extra: { spares?: number; warmup?: string } = {},
): Promise<Keeper> {
  return Keeper.start({ ...keeperOptions(options), ...extra });
}

function ownKeeperSource(options: SessionOptions): InterpreterSource {
  return { ownsKeeper: true, keeper: () => startKeeper(options) };
}

function requestError(failure: RequestFailure): Error {
  const error = failure.reply.error;
  const message = error ? `${error.type}: ${error.message}` : "unknown error";
  if (error?.type === "NoTransactionError") return new NoTransactionError(error.message);
  if (error?.type === "TransactionError") return new TransactionError(error.message);
  if (
    error?.type === "CheckpointError" || failure.op === "checkpoint" || failure.op === "restore"
  ) {
    return new CheckpointError(`${failure.op} failed: ${message}`);
  }
  return new WorkerRequestError(`${failure.op} failed in the worker: ${message}`);
}

function describeState(state: SessionState): string {
  return state === "new" ? "not started" : state === "closed" ? "shut down" : state;
}

/** Re-exported for callers that name the policy type next to Session. */
export type { TransactionPolicy };
