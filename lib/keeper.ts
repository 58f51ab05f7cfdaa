/**
 * The keeper process: starting it (lib/_keeper_launch.ts spawns it), its control channel, the exits
 * it reports, warmup, and kill. Knows nothing about cells.
 *
 * Deno spawns one keeper (runner/keeper.py) per standalone session, or one per pool. The keeper forks
 * interpreters ahead of need ("spares") and reports each one on its control pipe with a one-time random
 * token. The spare sets itself up, connects to the unix socket the keeper's queue of spares listens on
 * (lib/_spare_queue.ts) and presents its token in its hello; a connection without an unused token is
 * refused, so no other process can pose as an interpreter. Because an interpreter's pid changes when a
 * transaction rolls back (a forked savepoint takes over), liveness comes from the keeper, whose pid never
 * changes: it reaps every descendant and reports each exit. Only process groups the keeper reported are
 * ever signalled.
 *
 * @module
 */
import { encodeFrame, type FrameReader } from "./frames.ts";
import {
  decodeKeeperMessage,
  encodeMessage,
  type KeeperMessage,
  type KeeperRequest,
} from "./protocol.ts";
import { ProtocolError, type PyReplError, WarmupError, WorkerStartError } from "./errors.ts";
import { removeSocketDir, UNFINISHED_NOTE_PREFIX } from "./_socket_dir.ts";
import type { TailBuffer } from "./_tail_buffer.ts";
import { Deadline, withinMs } from "./_timing.ts";
import { type Spare, SpareQueue } from "./_spare_queue.ts";
import { type LaunchedKeeper, launchKeeper, STDERR_DRAIN_MS } from "./_keeper_launch.ts";

/** How long close() lets the keeper end its interpreters after SIGTERM before it is killed. */
/** How long a keeper may take to start, and a session to get a ready interpreter. */
export const DEFAULT_START_TIMEOUT_MS = 30_000;
const KEEPER_TERM_MS = 1000;

/** Options of a keeper process. */
export interface KeeperOptions {
  /** The interpreter command or path. Default `python3`. */
  python?: string;
  /** Working directory of the keeper (and default of its interpreters). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Inherit Deno's environment (true, the default), none of it (false), or only the listed names. */
  inheritEnv?: boolean | string[];
  /** How long the keeper may take to say hello and run its warmup. Default 30000 ms. */
  startTimeoutMs?: number;
  /** How many ready interpreters the keeper keeps forked ahead of need. Default 1. */
  spares?: number;
  /** Code run once in the keeper's `__main__`, so every interpreter forked afterwards starts with it. */
  warmup?: string;
}

/** How a process ended, as the keeper reports it. */
export interface ProcessExit {
  /** The process id. */
  pid: number;
  /** The exit code, when it exited. */
  code: number | null;
  /** The signal name, when a signal killed it. */
  signal: string | null;
}

export type { Spare } from "./_spare_queue.ts";

/** A running keeper: forks interpreters and reports their exits. */
export class Keeper {
  /** The keeper's pid (stable for the life of the keeper). */
  readonly pid: number;
  /** The Python version, e.g. `3.11.7`. */
  readonly pythonVersion: string;
  /** The interpreter binary the keeper runs. */
  readonly executable: string;
  /** Resolves when the keeper process has ended. */
  readonly exited: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #socketDir: string;
  readonly #stderrTail: TailBuffer;
  readonly #spares: SpareQueue;
  #warmups = new Map<string, (message: KeeperMessage & { t: "warmup_done" }) => void>();
  #exitListeners = new Set<(exit: ProcessExit) => void>();
  /** Process groups the keeper reported (spares): the only ones ever signalled. */
  #groups = new Set<number>();
  #failure: PyReplError | null = null;
  #closed = false;

  private constructor(launched: LaunchedKeeper, spares: number) {
    this.#child = launched.child;
    this.#stdin = launched.child.stdin.getWriter();
    this.#socketDir = launched.socketDir;
    this.#stderrTail = launched.stderrTail;
    this.pid = launched.hello.pid;
    this.pythonVersion = launched.hello.python;
    this.executable = launched.hello.executable;
    this.exited = launched.child.status;
    this.#spares = new SpareQueue(launched.listener, {
      target: spares,
      requestSpawn: () => void this.#send({ t: "spawn" }).catch(() => {}),
    });
  }

  /** Spawns a keeper, waits for its hello and runs the warmup, all within `startTimeoutMs`. */
  static async start(options: KeeperOptions = {}): Promise<Keeper> {
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const deadline = new Deadline(timeoutMs, "start and warm up");
    let keeper: Keeper | null = null;
    try {
      const launched = await launchKeeper(options, deadline);
      keeper = new Keeper(launched, options.spares ?? 1);
      keeper.#readLoop(launched.reader, launched.stderrDone);
      keeper.#spares.refill();
      if (options.warmup) await deadline.race(keeper.#warmup(options.warmup));
      return keeper;
    } catch (error) {
      if (keeper) await keeper.close();
      throw error;
    } finally {
      deadline.clear();
    }
  }

  /** True once the keeper has ended or was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The last bytes the keeper process wrote to its stderr (its own crash report lands here). */
  stderrTail(): string {
    return this.#stderrTail.text();
  }

  /**
   * The file where the interpreter forked as `pgid` writes its fatal-error report (faulthandler's
   * traceback of a segfault): one file per interpreter, so a crash report never shows another's.
   */
  faultFile(pgid: number): string {
    return `${this.#socketDir}/stderr-${pgid}`;
  }

  /**
   * Notes in the socket folder a file an interpreter is writing (a checkpoint's temporary file), so that
   * the keeper removes it if Deno dies before the write ends (runner/keeper.py), and so does the sweep of
   * a stale folder (lib/_socket_dir.ts). Dispose of the note once the write is over.
   */
  noteUnfinishedFile(path: string): Disposable {
    const note = `${this.#socketDir}/${UNFINISHED_NOTE_PREFIX}${crypto.randomUUID()}`;
    try {
      Deno.writeTextFileSync(note, path);
    } catch {
      // the folder is gone: the keeper is too, and the write fails
    }
    return {
      [Symbol.dispose]: () => {
        try {
          Deno.removeSync(note);
        } catch {
          // never written
        }
      },
    };
  }

  /** Calls `listener` for every process exit the keeper reports (its own last); returns an unsubscriber. */
  onExit(listener: (exit: ProcessExit) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** Takes a ready spare interpreter and asks the keeper for the next one. */
  async takeSpare(timeoutMs = DEFAULT_START_TIMEOUT_MS): Promise<Spare> {
    if (this.#closed) throw this.#failure ?? new WorkerStartError("the Python worker has exited");
    return await this.#spares.take(timeoutMs);
  }

  /** Signals one interpreter's process group (the interpreter, its savepoints and children). */
  killGroup(pgid: number, signal: Deno.Signal = "SIGKILL"): void {
    if (!this.#groups.has(pgid)) return; // never signal a group the keeper did not report
    try {
      Deno.kill(-pgid, signal);
    } catch {
      // the group is already gone
    }
    if (signal === "SIGKILL") this.#groups.delete(pgid);
  }

  /** Kills every interpreter and the keeper, and waits for the keeper to end. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#spares.stop();
      for (const pgid of [...this.#groups]) this.killGroup(pgid);
      // SIGTERM first: the keeper then kills what Deno does not know yet (spares being made, children
      // user code moved to their own session) before it exits. SIGKILL if it does not end at once.
      this.#signalKeeper("SIGTERM");
      await withinMs(this.exited, KEEPER_TERM_MS);
      this.#signalKeeper("SIGKILL");
    }
    await this.exited;
    await this.#shutdownIo();
  }

  /** Runs `code` in the keeper's `__main__`; spares of the previous generation are replaced. */
  #warmup(code: string): Promise<void> {
    const id = crypto.randomUUID();
    return new Promise<void>((resolve, reject) => {
      this.#warmups.set(id, (message) => {
        this.#spares.renew(message.generation);
        if (message.ok) resolve();
        else {
          const error = message.error;
          reject(new WarmupError(`warmup code failed: ${error?.traceback || error?.message}`));
        }
      });
      this.#send({ t: "warmup", id, code }).catch(reject);
    });
  }

  #signalKeeper(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
  }

  async #shutdownIo(): Promise<void> {
    this.#spares.close();
    await this.#stdin.close().catch(() => {});
    await removeSocketDir(this.#socketDir);
  }

  async #send(message: KeeperRequest): Promise<void> {
    await this.#stdin.write(encodeFrame(encodeMessage(message)));
  }

  async #readLoop(reader: FrameReader, stderrDone: Promise<void>): Promise<void> {
    // A process warmup code started (a fork, a subprocess) may outlive the keeper and hold its stdout and
    // stderr open: stop reading them shortly after the keeper ended, or Deno would never exit.
    let loopEnded = () => {};
    const ended = new Promise<void>((resolve) => loopEnded = resolve);
    this.exited.then(async () => {
      await withinMs(Promise.all([ended, stderrDone]), STDERR_DRAIN_MS);
      reader.cancel();
      this.#stderrTail.stop();
    });
    try {
      while (true) {
        const payload = await reader.next();
        if (payload === null) break;
        this.#dispatch(decodeKeeperMessage(payload));
      }
    } catch (error) {
      // A broken or lying control stream: end the keeper; the status below says how it ended.
      this.#failure = new ProtocolError(
        `the keeper broke the protocol: ${(error as Error).message}`,
      );
      this.#signalKeeper("SIGKILL");
    }
    loopEnded();
    const status = await this.exited;
    for (const pgid of [...this.#groups]) this.killGroup(pgid);
    await withinMs(stderrDone, STDERR_DRAIN_MS);
    this.#closed = true;
    const error = this.#failure ??
      new WorkerStartError(`the Python worker exited (${describeStatus(status)})`);
    this.#spares.fail(error);
    for (const [id, done] of this.#warmups) {
      this.#warmups.delete(id);
      done({
        t: "warmup_done",
        id,
        ok: false,
        generation: this.#spares.generation,
        error: { type: "Exit", message: error.message, traceback: "" },
      });
    }
    const exit: ProcessExit = { pid: this.pid, code: status.code, signal: status.signal };
    for (const listener of this.#exitListeners) listener(exit);
    await this.#shutdownIo();
  }

  #dispatch(message: KeeperMessage): void {
    switch (message.t) {
      case "spare":
        this.#groups.add(message.pid); // so that close() kills it even if no session ever takes it
        this.#spares.reported(message.token, message.pid, message.generation);
        return;
      case "exited": {
        this.#groups.delete(message.pid);
        this.#spares.exited(message.pid);
        for (const listener of this.#exitListeners) listener(message);
        return;
      }
      case "warmup_done": {
        const done = this.#warmups.get(message.id);
        this.#warmups.delete(message.id);
        done?.(message);
        return;
      }
      case "keeper_error":
        throw new Error(message.message);
      case "keeper_hello":
        throw new Error("a second keeper_hello");
      default: {
        const unknown: never = message;
        throw new Error(`unknown keeper message ${JSON.stringify(unknown)}`);
      }
    }
  }
}

/** Describes a process status in words: `exit code 3` or `killed by SIGKILL`. */
export function describeStatus(status: { code: number | null; signal: string | null }): string {
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}
