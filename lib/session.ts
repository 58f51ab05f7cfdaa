/**
 * Session: one long-lived Python interpreter driven from Deno.
 *
 * @module
 */
import type { InterpreterRequest, WireReply, WireResult } from "./protocol.ts";
import {
  CheckpointError,
  InvalidOptionError,
  NoTransactionError,
  type PyReplError,
  SessionClosedError,
  SessionDeadError,
  UnknownInputError,
  WorkerRequestError,
} from "./errors.ts";
import { Execution } from "./execution.ts";
import { Checkpoint } from "./checkpoint.ts";
import { InterpreterConnection } from "./connection.ts";
import { type InputRoute, RunningExecution } from "./running_execution.ts";
import { describeStatus, type ProcessExit, WorkerProcess } from "./worker_process.ts";
import type {
  ExecuteOptions,
  ExecutionResult,
  InputReply,
  SessionOptions,
  TransactionPolicy,
} from "./results.ts";
import { normalizePolicy } from "./transactions.ts";
import { validateExecuteOptions, validateSessionOptions } from "./options.ts";

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const DEFAULT_GRACE_MS = 2000;
/** How long to wait for the keeper's report of how the interpreter ended, after its connection closed. */
const DEATH_SETTLE_MS = 2000;

/** Where a session's interpreters come from: its own keeper, or a pool's shared one. */
export interface InterpreterSource {
  /** The keeper to fork interpreters from. */
  worker(): Promise<WorkerProcess>;
  /** Whether the session owns the keeper (and closes it at shutdown). */
  readonly ownsWorker: boolean;
}

/** The lifecycle state of a session. */
export type SessionState = "new" | "starting" | "ready" | "dead" | "closed";

let sessionCounter = 0;

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
  #worker: WorkerProcess | null = null;
  #connection: InterpreterConnection | null = null;
  #pid = 0;
  #pgid = 0;
  #pythonVersion = "";
  #queue: Promise<unknown> = Promise.resolve();
  #running: RunningExecution | null = null;
  #unsubscribeExit: (() => void) | null = null;
  #deathReason = "";
  #exit: ProcessExit | null = null;
  #nextId = 0;
  #openTransaction = false;
  #restarts = 0;
  #exitWaiter: (() => void) | null = null;
  #timeouts = 0;
  #executionCount = 0;
  #startPromise: Promise<void> | null = null;

  /** Creates a session; call `start()` before executing code. */
  constructor(options: SessionOptions = {}, source?: InterpreterSource) {
    validateSessionOptions(options);
    this.#options = { ...options };
    this.id = `s${++sessionCounter}`;
    this.#source = source ?? ownWorkerSource(this.#options);
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
    return this.#pid;
  }

  /** The Python version of the worker, e.g. `3.11.7` (empty before start). */
  get pythonVersion(): string {
    return this.#pythonVersion;
  }

  /** True while an explicit transaction is open (between its first execution and commit/rollback). */
  get inTransaction(): boolean {
    return this.#openTransaction;
  }

  /** Starts the worker. Resolves when the interpreter is ready for code. */
  start(): Promise<void> {
    if (this.#state === "closed") {
      return Promise.reject(new SessionClosedError(this.id, "shut down"));
    }
    if (this.#state === "ready") return Promise.resolve();
    if (!this.#startPromise) {
      this.#state = "starting";
      this.#startPromise = this.#connect().finally(() => (this.#startPromise = null));
    }
    return this.#startPromise;
  }

  async #connect(): Promise<void> {
    try {
      const worker = await this.#source.worker();
      this.#worker = worker;
      this.#unsubscribeExit?.();
      this.#unsubscribeExit = worker.onExit((exit) => this.#onProcessExit(exit));
      const spawned = await worker.spawnInterpreter({
        cwd: this.#options.cwd,
        env: this.#options.env,
      });
      const connection: InterpreterConnection = new InterpreterConnection(spawned, {
        output: (stream, data) => this.#running?.output(stream, data),
        input: (inputId, prompt, password) => this.#onInput(inputId, prompt, password),
        result: (message) => this.#onResult(message),
        closed: (failure) => this.#onConnectionClosed(connection, failure),
      });
      this.#connection = connection;
      this.#pid = spawned.pid;
      this.#pgid = spawned.pid;
      this.#pythonVersion = spawned.python;
      this.#exit = null;
      this.#executionCount = 0;
      this.#deathReason = "";
      this.#openTransaction = false;
      this.#state = "ready";
    } catch (error) {
      this.#state = "dead";
      this.#deathReason = (error as Error).message;
      if (this.#source.ownsWorker) await this.#worker?.close();
      throw error;
    }
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
    const execution = new Execution(`e${++this.#nextId}`);
    this.#enqueue(() => this.#run(execution, code, options)).catch((error) =>
      execution.fail(error)
    );
    return execution;
  }

  /** Answers input request `id` (from an `input` event) with text, or `null` for end of input. */
  async inputResponse(id: string, reply: InputReply): Promise<void> {
    if (reply !== null && typeof reply !== "string") {
      throw new InvalidOptionError("inputResponse(id, reply): reply must be a string or null");
    }
    const running = this.#running;
    if (!running || !running.waitingInputs.has(id)) throw new UnknownInputError(id);
    running.waitingInputs.delete(id);
    await this.#send({ t: "input_reply", inputId: id, text: reply });
  }

  /** Raises KeyboardInterrupt in the running code (status `interrupted`); does nothing when idle. */
  interrupt(): Promise<void> {
    const running = this.#running;
    if (running && this.#state === "ready") {
      running.interrupted = true;
      this.#worker?.killGroup(this.#pgid, "SIGINT");
    }
    return Promise.resolve();
  }

  /** Keeps the changes of the open explicit transaction. */
  async commit(): Promise<void> {
    await this.#enqueue(() => this.#request("commit"));
    this.#openTransaction = false;
  }

  /** Returns the session to its state before the open explicit transaction. */
  async rollback(): Promise<void> {
    await this.#enqueue(() => this.#request("rollback"));
    this.#openTransaction = false;
  }

  /** Saves the session's namespace; see {@linkcode Checkpoint}. */
  checkpoint(): Promise<Checkpoint> {
    return this.#enqueue(async () => {
      const reply = await this.#request("checkpoint");
      return Checkpoint.fromBytes(reply.data as Uint8Array);
    });
  }

  /** Makes the namespace hold exactly the checkpoint's names (in this or any other session). */
  async restore(checkpoint: Checkpoint | Uint8Array): Promise<void> {
    const data = checkpoint instanceof Checkpoint ? checkpoint.data : checkpoint;
    if (!(data instanceof Uint8Array)) {
      throw new InvalidOptionError("restore(checkpoint): pass a Checkpoint or its bytes");
    }
    Checkpoint.fromBytes(data); // refuse bad data before it reaches the worker
    await this.#enqueue(async () => {
      await this.#request("restore", data);
    });
  }

  /**
   * Replaces the interpreter with a fresh one without counting a restart (SessionPool's release: the
   * keeper hands over a spare interpreter forked after the warmup, so this costs about a millisecond).
   * @internal
   */
  async _renew(): Promise<void> {
    this.#stopInterpreter();
    this.#state = "starting";
    await this.#enqueue(() => this.#replaceInterpreter());
  }

  /** How many executions ended with status `timeout`. */
  get timeouts(): number {
    return this.#timeouts;
  }

  /** How many times the interpreter was replaced (restart(), or a timeout that needed a kill). */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Ends the worker at once and starts a fresh interpreter with an empty namespace. A running execution,
   * and any queued before this call, reject with SessionClosedError.
   */
  async restart(): Promise<void> {
    if (this.#state === "closed") throw new SessionClosedError(this.id, "shut down");
    this.#restarts++;
    this.#stopInterpreter();
    if (this.#state === "ready") this.#state = "starting";
    await this.#enqueue(() => this.#replaceInterpreter());
  }

  async #replaceInterpreter(): Promise<void> {
    this.#stopInterpreter();
    if (this.#source.ownsWorker && this.#worker?.closed) this.#worker = null;
    await this.#connect();
  }

  /** Ends the worker. The session cannot run code afterwards. */
  async shutdown(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#stopInterpreter();
    this.#unsubscribeExit?.();
    if (this.#source.ownsWorker) await this.#worker?.close();
    await this.#queue.catch(() => {});
  }

  /** Shuts the session down (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #stopInterpreter(): void {
    const closed = new SessionClosedError(
      this.id,
      this.#state === "closed" ? "shut down" : "restarting",
    );
    if (this.#pgid) this.#worker?.killGroup(this.#pgid);
    this.#pgid = 0;
    this.#pid = 0;
    this.#connection?.close(closed);
    this.#connection = null;
    const running = this.#running;
    this.#running = null;
    running?.clearTimers();
    running?.execution.fail(closed);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => {});
    return next;
  }

  #checkUsable(): void {
    if (this.#state === "dead") throw new SessionDeadError(this.id, this.#deathReason);
    if (this.#state !== "ready") throw new SessionClosedError(this.id, describeState(this.#state));
  }

  #send(message: InterpreterRequest): Promise<void> {
    const connection = this.#connection;
    if (!connection) {
      return Promise.reject(new SessionClosedError(this.id, describeState(this.#state)));
    }
    return connection.send(message);
  }

  async #run(execution: Execution, code: string, options: ExecuteOptions): Promise<void> {
    this.#checkUsable();
    const policy = normalizePolicy(options.transaction);
    const running = new RunningExecution(
      execution,
      options,
      this.#options.maxOutputChars ?? DEFAULT_MAX_OUTPUT,
    );
    this.#running = running;
    const finished = execution.settled;
    if (options.signal) {
      if (options.signal.aborted) running.interrupted = true;
      const onAbort = () => this.interrupt();
      options.signal.addEventListener("abort", onAbort, { once: true });
      finished.then(() => options.signal?.removeEventListener("abort", onAbort));
    }
    if (options.timeoutMs !== undefined) {
      this.#armTimeout(running, options.timeoutMs, options.graceMs);
    }
    await this.#send({ t: "exec", id: execution.id, code, transaction: policy });
    if (running.interrupted) await this.interrupt();
    await finished;
    await running.recovery;
  }

  #armTimeout(running: RunningExecution, timeoutMs: number, graceMs = DEFAULT_GRACE_MS): void {
    running.after(timeoutMs, () => {
      if (this.#running !== running) return;
      running.timedOut = true;
      this.#worker?.killGroup(this.#pgid, "SIGINT");
      running.after(graceMs, () => this.#killForTimeout(running));
    });
  }

  #killForTimeout(running: RunningExecution): void {
    if (this.#running !== running) return;
    const result = running.result("timeout", this.#executionCount);
    result.stateLost = true;
    result.crash = { exitCode: null, signal: "SIGKILL", stderrTail: "" };
    this.#finish(running, result);
    this.#restarts++;
    this.#stopInterpreter();
    // Same tick as #finish: #run awaits this before the next queued call starts.
    running.recovery = this.#connect().catch(() => {});
  }

  #finish(running: RunningExecution, result: ExecutionResult): void {
    if (result.status === "timeout") this.#timeouts++;
    if (this.#running === running) this.#running = null;
    running.finish(result);
  }

  async #request(op: string, data?: Uint8Array): Promise<WireReply> {
    this.#checkUsable();
    const answer = await this.#connection!.request(op, data);
    if (answer.pid) this.#pid = answer.pid;
    if (typeof answer.executionCount === "number") this.#executionCount = answer.executionCount;
    if (!answer.ok) throw replyError(op, answer);
    return answer;
  }

  /** The read loop ended by itself: a protocol error, or the interpreter is gone. */
  async #onConnectionClosed(
    connection: InterpreterConnection,
    failure: PyReplError | null,
  ): Promise<void> {
    if (connection !== this.#connection) return;
    if (failure) {
      this.#die(`protocol error: ${failure.message}`, null);
      return;
    }
    // Wait (briefly) for the keeper to say how the interpreter ended.
    if (!this.#exit) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DEATH_SETTLE_MS);
        this.#exitWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#exitWaiter = null;
    }
    if (connection !== this.#connection) return;
    this.#die(
      this.#exit ? describeStatus(this.#exit) : "the connection to the worker closed",
      this.#exit,
    );
  }

  #onProcessExit(exit: ProcessExit): void {
    if (this.#state !== "ready") return;
    if (exit.pid !== this.#pid && exit.pid !== this.#worker?.pid) return;
    this.#exit = exit;
    this.#exitWaiter?.();
    // Kill the savepoints and any children: the socket then closes and the read loop ends the session.
    if (this.#pgid) this.#worker?.killGroup(this.#pgid);
  }

  #die(reason: string, exit: ProcessExit | null): void {
    if (this.#state !== "ready") return;
    this.#state = "dead";
    this.#deathReason = reason;
    const running = this.#running;
    if (running) {
      const result = running.result(running.timedOut ? "timeout" : "crashed", this.#executionCount);
      result.crash = {
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stderrTail: running.stderrTail(this.#worker?.stderrTail() ?? ""),
      };
      result.stateLost = true;
      this.#finish(running, result);
    }
    this.#connection?.close(new SessionDeadError(this.id, reason));
    this.#connection = null;
    if (this.#pgid) this.#worker?.killGroup(this.#pgid);
  }

  #onInput(inputId: string, prompt: string, password: boolean): void {
    const running = this.#running;
    if (!running) return;
    const answer = (route: InputRoute) => {
      if (this.#running !== running || "wait" in route) return;
      running.waitingInputs.delete(inputId);
      const reply = "reply" in route
        ? { t: "input_reply" as const, inputId, text: route.reply }
        : { t: "input_reply" as const, inputId, text: null, error: route.error };
      this.#send(reply).catch(() => {});
    };
    const route = running.input(inputId, prompt, password);
    if (route instanceof Promise) route.then(answer);
    else answer(route);
  }

  #onResult(message: WireResult): void {
    if (message.pid) this.#pid = message.pid;
    const running = this.#running;
    if (!running || running.execution.id !== message.id) return;
    let status: ExecutionResult["status"] = message.status;
    if (status === "interrupted" && running.timedOut) status = "timeout";
    this.#executionCount = message.executionCount;
    const result = running.result(status, message.executionCount);
    if (message.hasValue) result.value = message.value;
    if (message.repr !== undefined) result.repr = message.repr;
    if (message.error) result.error = message.error;
    if (message.transaction) {
      result.transaction = message.transaction;
      if (message.transaction.outcome === "pending") this.#openTransaction = true;
    }
    if (status === "timeout") result.stateLost = false;
    this.#finish(running, result);
  }
}

function ownWorkerSource(options: SessionOptions): InterpreterSource {
  let worker: WorkerProcess | null = null;
  return {
    ownsWorker: true,
    async worker() {
      if (!worker || worker.closed) {
        worker = await WorkerProcess.start({
          python: options.python,
          cwd: options.cwd,
          env: options.env,
          startTimeoutMs: options.startTimeoutMs,
        });
      }
      return worker;
    },
  };
}

function replyError(op: string, reply: WireReply): Error {
  const error = reply.error;
  const message = error ? `${error.type}: ${error.message}` : "unknown error";
  if (error?.type === "NoTransactionError") return new NoTransactionError(error.message);
  if (error?.type === "CheckpointError" || op === "checkpoint" || op === "restore") {
    return new CheckpointError(`${op} failed: ${message}`);
  }
  return new WorkerRequestError(`${op} failed in the worker: ${message}`);
}

function describeState(state: SessionState): string {
  return state === "new" ? "not started" : state === "closed" ? "shut down" : state;
}

/** Re-exported for callers that name the policy type next to Session. */
export type { TransactionPolicy };
