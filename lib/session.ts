/**
 * Session: one long-lived Python interpreter driven from Deno. The API, the queue of executions,
 * timeouts, and the one place that builds a result; the interpreter process itself is
 * {@linkcode Interpreter}'s.
 *
 * @module
 */
import { resolve } from "node:path";
import { CheckpointError, InvalidOptionError } from "./errors.ts";
import type { Execution } from "./execution.ts";
import { ExecutionQueue } from "./execution_queue.ts";
import { unfinishedWrite } from "./_atomic_write.ts";
import { Checkpoint, openCheckpoint, sealCheckpoint } from "./checkpoint.ts";
import {
  checkCheckpointTarget,
  checkpointFilePaths,
  restoreCheckpointFile,
  sealCheckpointFile,
} from "./checkpoint_file.ts";
import { type Reply, RequestFailure } from "./connection.ts";
import { InterpreterSlot, type SessionState } from "./interpreter_slot.ts";
import { type InterpreterSource, ownKeeperSource } from "./keeper_source.ts";
import { requestError } from "./_request_error.ts";
import type { ControlRequest } from "./protocol.ts";
import type { InputReply, TransactionPolicy } from "./results.ts";
import type {
  CheckpointOptions,
  ExecuteOptions,
  RestoreOptions,
  SessionOptions,
} from "./options.ts";
import {
  resolveHashSeed,
  validateCheckpointOptions,
  validateExecuteOptions,
  validateRestoreOptions,
  validateSessionOptions,
} from "./options.ts";

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const DEFAULT_CHECKPOINT_TIMEOUT_MS = 300_000;
const DEFAULT_GRACE_MS = 2000;

let sessionCounter = 0;
/** Set by sessionWithSource() for the one constructor call it makes. */
let givenSource: InterpreterSource | null = null;
let release: (session: Session) => void;
let askComplete: (session: Session, source: string) => Promise<EntryStatus>;

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
  readonly #slot: InterpreterSlot;
  readonly #executions: ExecutionQueue;
  /** True while a control request that runs user code (checkpoint) is in flight. */
  #controlInFlight = false;
  /** Set when a pool took the session back: every later call on this handle throws. */
  #released = false;

  static {
    release = (session) => {
      session.#released = true;
      return session.#slot.close("released to its pool; acquire a new session", true);
    };
    askComplete = async (session, source) =>
      (await session.#executions.enqueue(() => session.#request({ op: "complete", source })))
        .status;
  }

  /** Creates a session; call `start()` before executing code. */
  constructor(options: SessionOptions = {}) {
    validateSessionOptions(options);
    this.#options = { ...options, hashSeed: resolveHashSeed(options) };
    this.id = `s${++sessionCounter}`;
    const source = givenSource ?? ownKeeperSource(this.#options);
    givenSource = null;
    this.#executions = new ExecutionQueue(
      {
        usable: () => this.#slot.usable(),
        current: () => this.#slot.current,
        replaceAfterKill: () => this.#slot.replace(),
      },
      this.#options.maxOutputChars ?? DEFAULT_MAX_OUTPUT,
      {
        onBackgroundOutput: this.#options.onBackgroundOutput,
        onBackgroundDisplay: this.#options.onBackgroundDisplay,
      },
    );
    this.#slot = new InterpreterSlot(this.id, this.#options, source, this.#executions);
  }

  /** The lifecycle state: `new`, `starting`, `ready`, `dead` (worker died; call restart) or `closed`. */
  get state(): SessionState {
    return this.#slot.state;
  }

  /** True when the session can run code. */
  get alive(): boolean {
    return this.#slot.state === "ready";
  }

  /** The pid of the process now running user code (it changes when a transaction rolls back). */
  get pid(): number {
    return this.#slot.current?.pid ?? 0;
  }

  /** The Python version of the worker, e.g. `3.11.7` (empty before start). */
  get pythonVersion(): string {
    return this.#slot.current?.python ?? "";
  }

  /** The interpreter's PYTHONHASHSEED (a `"random"` option is resolved to the number it picked). */
  get hashSeed(): number {
    return this.#options.hashSeed as number;
  }

  /** True while an explicit transaction is open (between its first execution and commit/rollback). */
  get inTransaction(): boolean {
    return this.#executions.openTransaction;
  }

  /** How many executions ended with status `timeout`. */
  get timeouts(): number {
    return this.#executions.timeouts;
  }

  /** How many times the interpreter was replaced (restart(), or a timeout that needed a kill). */
  get restarts(): number {
    return this.#slot.restarts;
  }

  /** Starts the worker. Resolves when the interpreter is ready for code. */
  start(): Promise<void> {
    return this.#slot.start();
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
    return this.#executions.submit(code, options);
  }

  /** Answers input request `id` (from an `input` event) with text, or `null` for end of input. */
  async inputResponse(id: string, reply: InputReply): Promise<void> {
    if (reply !== null && typeof reply !== "string") {
      throw new InvalidOptionError("inputResponse(id, reply): reply must be a string or null");
    }
    if (this.#released) throw this.#slot.closedError();
    await this.#executions.inputResponse(id, reply);
  }

  /**
   * Raises KeyboardInterrupt in the running code (status `interrupted`). Called right after
   * `execute()`, before the cell started, it interrupts that cell as soon as it starts. Does nothing
   * when no execution is running or queued.
   */
  interrupt(): Promise<void> {
    // A released handle reaches nothing (its interpreter is gone): a no-op, as on a shut-down session.
    if (this.#controlInFlight) this.#slot.current?.interrupt();
    else this.#executions.interrupt();
    return Promise.resolve();
  }

  /** Keeps the changes of the open explicit transaction. */
  async commit(): Promise<void> {
    await this.#executions.enqueue(() => this.#request({ op: "commit" }));
    this.#executions.openTransaction = false;
  }

  /**
   * Returns the session to its state before the open explicit transaction. Throws TransactionError,
   * with the session's state unchanged and the transaction closed, when the savepoint was lost.
   */
  async rollback(): Promise<void> {
    try {
      await this.#executions.enqueue(() => this.#request({ op: "rollback" }));
    } finally {
      this.#executions.openTransaction = false;
    }
  }

  /**
   * Saves the session's namespace as a signed {@linkcode Checkpoint}; with `path`, the worker writes it
   * to that file (atomically, signed) and the bytes never enter Deno. Pickling runs user code
   * (`__reduce__`, `__getstate__`): `interrupt()` stops it, and so does `timeoutMs` (then, if the
   * code ignores the interrupt for `graceMs`, the interpreter is replaced). Either way it throws
   * CheckpointError.
   */
  checkpoint(options: CheckpointOptions = {}): Promise<Checkpoint> {
    validateCheckpointOptions(options);
    const file = options.path === undefined ? null : checkpointFilePaths(options.path);
    const key = this.#options.checkpointKey;
    return this.#executions.enqueue(async () => {
      if (file) await checkCheckpointTarget(file.target);
      // A second Ctrl-C of the CLI exits at once: it removes the temporary file too.
      using _writing = file ? unfinishedWrite(file.temp) : null;
      // And a Deno killed mid-write (SIGKILL, or a signal no handler catches): its keeper removes it.
      using _noted = file ? this.#slot.usable().noteUnfinishedFile(file.temp) : null;
      try {
        const reply = await this.#withDeadline(
          () => this.#request({ op: "checkpoint", ...(file && { path: file.temp }) }),
          options.timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS,
          options.graceMs ?? DEFAULT_GRACE_MS,
        );
        if (file) return await sealCheckpointFile(file.temp, file.target, reply, key);
        return await sealCheckpoint(reply.data!, { key });
      } catch (error) {
        // The worker removes its temporary file on an error it sees; this covers its death.
        if (file) await Deno.remove(file.temp).catch(() => {});
        throw error;
      }
    });
  }

  /**
   * Makes the namespace hold exactly the checkpoint's names (in this or any other session). The
   * checkpoint's signature is checked before the interpreter unpickles anything; pass `trust: true` to
   * restore one that was not signed with this session's key. Pass a Checkpoint, its bytes, or the path of
   * a checkpoint file (`"run.pyrepl3ckpt"` or `{ path }`): the worker maps the file's arrays copy-on-write
   * instead of receiving them. Unpickling runs code the checkpoint names: `interrupt()` stops it, and so
   * does `timeoutMs` (after `graceMs` more the interpreter is replaced); the namespace is then unchanged.
   */
  async restore(
    checkpoint: Checkpoint | Uint8Array | string | { path: string },
    options: RestoreOptions = {},
  ): Promise<void> {
    validateRestoreOptions(options);
    const key = this.#options.checkpointKey;
    // Unpickling runs code the checkpoint names: interruptible, and interrupted at timeoutMs.
    const deadline = <T>(run: () => Promise<T>) =>
      this.#withDeadline(
        run,
        options.timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS,
        options.graceMs ?? DEFAULT_GRACE_MS,
        "restore",
      );
    const path = typeof checkpoint === "string"
      ? checkpoint
      : checkpoint instanceof Checkpoint || checkpoint instanceof Uint8Array
      ? (checkpoint instanceof Checkpoint ? checkpoint.path : null)
      : checkpoint?.path;
    if (typeof path === "string" && path !== "") {
      const absolute = resolve(path);
      // Checked in the queue's turn, so a checkpoint({ path }) called after this restore writes after it.
      await this.#executions.enqueue(() =>
        restoreCheckpointFile(
          absolute,
          { key, ...options },
          (digest) => deadline(() => this.#request({ op: "restore", path: absolute, digest })),
        )
      );
      return;
    }
    const data = checkpoint instanceof Checkpoint ? checkpoint.data : checkpoint;
    if (!(data instanceof Uint8Array)) {
      throw new InvalidOptionError(
        "restore(checkpoint): pass a Checkpoint, its bytes, or a checkpoint file's path",
      );
    }
    await this.#executions.enqueue(async () => {
      const raw = await openCheckpoint(data, { key, ...options });
      await deadline(() => this.#request({ op: "restore", blob: raw.length }, raw));
    });
  }

  /**
   * Ends the worker at once and starts a fresh interpreter with an empty namespace. A running execution,
   * and any queued before this call, reject with SessionClosedError.
   */
  async restart(): Promise<void> {
    if (this.#slot.state === "closed") throw this.#slot.closedError();
    this.#slot.stopForRestart();
    await this.#executions.enqueue(() => this.#slot.connect());
  }

  /** Ends the worker. The session cannot run code afterwards. */
  async shutdown(): Promise<void> {
    await this.#slot.close("shut down");
    await this.#executions.drained();
  }

  /** Shuts the session down (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #request<R extends ControlRequest>(
    request: R,
    blob?: Uint8Array,
  ): Promise<Reply<R["op"]>> {
    const interpreter = this.#slot.usable();
    try {
      const reply = await interpreter.request(request, blob);
      this.#executions.executionCount = reply.executionCount;
      return reply;
    } catch (error) {
      if (!(error instanceof RequestFailure)) throw error;
      this.#executions.executionCount = error.reply.executionCount;
      throw requestError(error);
    }
  }

  /**
   * Runs a control request that may run user code: interruptible by interrupt(), interrupted at
   * `timeoutMs`, and after `graceMs` more the interpreter is replaced.
   */
  async #withDeadline<T>(
    run: () => Promise<T>,
    timeoutMs: number,
    graceMs: number,
    what = "checkpoint",
  ): Promise<T> {
    const interpreter = this.#slot.usable();
    let recovery: Promise<void> | null = null;
    const timers = [setTimeout(() => {
      interpreter.interrupt();
      timers.push(setTimeout(() => (recovery = this.#slot.replace()), graceMs));
    }, timeoutMs)];
    this.#controlInFlight = true;
    try {
      return await run();
    } catch (error) {
      if (!recovery) throw error;
      await recovery;
      throw new CheckpointError(
        `${what}() did not finish within ${timeoutMs} ms and ignored the interrupt; the ` +
          "interpreter was replaced and its state is lost",
        { cause: error },
      );
    } finally {
      for (const timer of timers) clearTimeout(timer);
      this.#controlInFlight = false;
    }
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

/** Whether an entry typed at a prompt is whole, as Python's interactive console decides. */
export type EntryStatus = "complete" | "incomplete" | "invalid";

/**
 * Asks the interpreter whether `source` (the lines typed so far) is a whole entry, by
 * `codeop.compile_command(source, "<input>", "single")`: nothing runs, the namespace and the
 * execution count are untouched (`record`'s prompt; internal, not part of the public API).
 */
export function entryStatus(session: Session, source: string): Promise<EntryStatus> {
  return askComplete(session, source);
}

/** Re-exported for callers that name the types next to Session. */
export type { SessionState, TransactionPolicy };
