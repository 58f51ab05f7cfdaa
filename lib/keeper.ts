/**
 * The keeper process: spawning it, its queue of spare interpreters, the exits it reports, and kill.
 * Knows nothing about cells.
 *
 * Deno spawns one keeper (runner/keeper.py) per standalone session, or one per pool. The keeper forks
 * interpreters ahead of need ("spares") and reports each one on its control pipe with a one-time random
 * token. The spare sets itself up, connects to the unix socket this class listens on and presents its
 * token in its hello; a connection without an unused token is refused, so no other process can pose as an
 * interpreter. Because an interpreter's pid changes when a transaction rolls back (a forked savepoint
 * takes over), liveness comes from the keeper, whose pid never changes: it reaps every descendant and
 * reports each exit. Only process groups the keeper reported are ever signalled.
 *
 * @module
 */
import { encodeFrame, FrameReader, streamSource } from "./frames.ts";
import {
  decodeInterpreterMessage,
  decodeKeeperMessage,
  encodeMessage,
  type KeeperMessage,
  type KeeperRequest,
  PROTOCOL_VERSION,
} from "./protocol.ts";
import {
  ProtocolError,
  ProtocolVersionError,
  type PyReplError,
  WarmupError,
  WorkerStartError,
} from "./errors.ts";
import { resolvePython } from "./python.ts";
import { bootCode } from "./_boot.ts";
import { keeperEnvironment } from "./_environment.ts";
import { claimSocketDir, removeSocketDir } from "./_socket_dir.ts";
import { TailBuffer } from "./_tail_buffer.ts";

const STDERR_TAIL_BYTES = 16 * 1024;
/** How long close() lets the keeper end its interpreters after SIGTERM before it is killed. */
const KEEPER_TERM_MS = 1000;
/** How long a hello may wait for the keeper's report of its token (the two travel on different channels). */
const TOKEN_WAIT_MS = 5000;
/** After the keeper exits, how long to wait for stderr to close (a stray process may hold it open). */
const STDERR_DRAIN_MS = 200;

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

/** A forked, connected and authenticated interpreter, not yet set up for a session. */
export interface Spare {
  /** Its pid as the keeper reported it (also its process group). */
  pid: number;
  /** Its Python version. */
  python: string;
  /** The socket to Deno. */
  connection: Deno.UnixConn;
  /** Frames from that socket. */
  reader: FrameReader;
}

interface Waiter {
  resolve: (spare: Spare) => void;
  reject: (error: Error) => void;
}

interface Greeting {
  connection: Deno.UnixConn;
  reader: FrameReader;
  python: string;
  timer: ReturnType<typeof setTimeout>;
}

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
  readonly #listener: Deno.Listener<Deno.UnixConn>;
  readonly #socketDir: string;
  readonly #stderrTail: TailBuffer;
  #spares: Spare[] = [];
  #waiters: Waiter[] = [];
  /** Spares asked for that have not connected yet. */
  #inFlight = 1;
  #target = 1;
  #generation = 0;
  /** Tokens the keeper reported and no connection presented yet: token -> pid and generation. */
  #tokens = new Map<string, { pid: number; generation: number }>();
  /** Hellos whose token the keeper has not reported yet. */
  #greetings = new Map<string, Greeting>();
  #warmups = new Map<string, (message: KeeperMessage & { t: "warmup_done" }) => void>();
  #exitListeners = new Set<(exit: ProcessExit) => void>();
  /** Process groups the keeper reported (spares): the only ones ever signalled. */
  #groups = new Set<number>();
  #failure: PyReplError | null = null;
  #closed = false;

  private constructor(
    child: Deno.ChildProcess,
    listener: Deno.Listener<Deno.UnixConn>,
    socketDir: string,
    hello: KeeperMessage & { t: "keeper_hello" },
    stderrTail: TailBuffer,
  ) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#listener = listener;
    this.#socketDir = socketDir;
    this.#stderrTail = stderrTail;
    this.pid = hello.pid;
    this.pythonVersion = hello.python;
    this.executable = hello.executable;
    this.exited = child.status;
    this.#acceptLoop();
  }

  /** Spawns a keeper, waits for its hello and runs the warmup, all within `startTimeoutMs`. */
  static async start(options: KeeperOptions = {}): Promise<Keeper> {
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const deadline = new Deadline(timeoutMs, "start and warm up");
    const executable = await resolvePython(options.python ?? "python3");
    const socketDir = await claimSocketDir();
    const socketPath = `${socketDir}/s`;
    const listener = Deno.listen({ transport: "unix", path: socketPath });
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(executable, {
        args: ["-c", await bootCode()],
        cwd: options.cwd,
        ...keeperEnvironment(options),
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (cause) {
      listener.close();
      await removeSocketDir(socketDir);
      throw new WorkerStartError(`cannot start ${executable}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const reader = new FrameReader(streamSource(child.stdout));
    const stderrTail = new TailBuffer(STDERR_TAIL_BYTES);
    const stderrDone = stderrTail.collect(child.stderr);
    let keeper: Keeper | null = null;
    try {
      const stdin = child.stdin.getWriter();
      await stdin.write(encodeFrame(encodeMessage({ t: "attach", socket: socketPath })));
      stdin.releaseLock();
      const first = await deadline.race(reader.next());
      if (first === null) {
        await child.status;
        await withinMs(stderrDone, STDERR_DRAIN_MS);
        const stderr = stderrTail.text().trim();
        throw new WorkerStartError(
          `the Python worker exited before it started: ${stderr || "(no output)"}`,
        );
      }
      const hello = decodeKeeperMessage(first);
      if (hello.t !== "keeper_hello") {
        throw new WorkerStartError(`unexpected first message ${hello.t}`);
      }
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw new ProtocolVersionError(PROTOCOL_VERSION, hello.protocol);
      }
      keeper = new Keeper(child, listener, socketDir, hello, stderrTail);
      keeper.#target = Math.max(1, options.spares ?? 1);
      keeper.#readLoop(reader, stderrDone);
      keeper.#requestSpares();
      if (options.warmup) await deadline.race(keeper.#warmup(options.warmup));
      return keeper;
    } catch (error) {
      if (keeper) await keeper.close();
      else {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await child.status;
        await reader.cancel();
        listener.close();
        await removeSocketDir(socketDir);
      }
      throw error;
    } finally {
      deadline.clear();
    }
  }

  /** True once the keeper has ended or was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The last bytes the worker processes wrote to stderr (crash reports land here). */
  stderrTail(): string {
    return this.#stderrTail.text();
  }

  /** Calls `listener` for every process exit the keeper reports (its own last); returns an unsubscriber. */
  onExit(listener: (exit: ProcessExit) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** Takes a ready spare interpreter and asks the keeper for the next one. */
  async takeSpare(): Promise<Spare> {
    if (this.#closed) throw this.#failure ?? new WorkerStartError("the Python worker has exited");
    const spare = this.#spares.shift() ??
      await new Promise<Spare>((resolve, reject) => {
        this.#waiters.push({ resolve, reject });
        this.#requestSpares();
      });
    this.#requestSpares();
    return spare;
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
        this.#generation = message.generation;
        for (const spare of this.#spares.splice(0)) spare.connection.close();
        this.#inFlight = 1;
        this.#requestSpares();
        if (message.ok) resolve();
        else {
          const error = message.error;
          reject(new WarmupError(`warmup code failed: ${error?.traceback || error?.message}`));
        }
      });
      this.#send({ t: "warmup", id, code }).catch(reject);
    });
  }

  /** Keeps the target number of spares ready or coming, and one more for every waiter beyond it. */
  #requestSpares(): void {
    if (this.#closed) return;
    const wanted = Math.max(this.#target, this.#waiters.length) - this.#spares.length -
      this.#inFlight;
    for (let i = 0; i < wanted; i++) {
      this.#inFlight++;
      this.#send({ t: "spawn" }).catch(() => {});
    }
  }

  #signalKeeper(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
  }

  async #shutdownIo(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const spare of this.#spares.splice(0)) closeQuietly(spare.connection);
    for (const greeting of this.#greetings.values()) {
      clearTimeout(greeting.timer);
      closeQuietly(greeting.connection);
    }
    this.#greetings.clear();
    await this.#stdin.close().catch(() => {});
    await removeSocketDir(this.#socketDir);
  }

  async #send(message: KeeperRequest): Promise<void> {
    await this.#stdin.write(encodeFrame(encodeMessage(message)));
  }

  async #readLoop(reader: FrameReader, stderrDone: Promise<void>): Promise<void> {
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
    const status = await this.exited;
    for (const pgid of [...this.#groups]) this.killGroup(pgid);
    await withinMs(stderrDone, STDERR_DRAIN_MS);
    this.#closed = true;
    const error = this.#failure ??
      new WorkerStartError(`the Python worker exited (${describeStatus(status)})`);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    for (const spare of this.#spares.splice(0)) closeQuietly(spare.connection);
    for (const [id, done] of this.#warmups) {
      this.#warmups.delete(id);
      done({
        t: "warmup_done",
        id,
        ok: false,
        generation: this.#generation,
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
        this.#tokens.set(message.token, { pid: message.pid, generation: message.generation });
        this.#match(message.token);
        return;
      case "exited": {
        this.#groups.delete(message.pid);
        const index = this.#spares.findIndex((spare) => spare.pid === message.pid);
        if (index >= 0) {
          closeQuietly(this.#spares.splice(index, 1)[0].connection);
          this.#requestSpares();
        }
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

  async #acceptLoop(): Promise<void> {
    while (true) {
      let connection: Deno.UnixConn;
      try {
        connection = await this.#listener.accept();
      } catch {
        return;
      }
      this.#greet(connection);
    }
  }

  /** Reads a connection's hello; it joins the spares once its token matches one the keeper reported. */
  async #greet(connection: Deno.UnixConn): Promise<void> {
    const reader = new FrameReader(connection);
    try {
      const first = await withinMs(reader.next(), TOKEN_WAIT_MS);
      if (!first) throw new Error("no hello");
      const hello = decodeInterpreterMessage(first);
      if (hello.t !== "hello") throw new Error(`expected hello, got ${hello.t}`);
      if (hello.protocol !== PROTOCOL_VERSION) {
        const error = new ProtocolVersionError(PROTOCOL_VERSION, hello.protocol);
        for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
        throw error;
      }
      if (this.#greetings.has(hello.token)) throw new Error("a token presented twice");
      const timer = setTimeout(() => {
        // The keeper never reported this token: an impostor.
        this.#greetings.delete(hello.token);
        closeQuietly(connection);
      }, TOKEN_WAIT_MS);
      this.#greetings.set(hello.token, { connection, reader, python: hello.python, timer });
      this.#match(hello.token);
    } catch {
      await reader.cancel();
      closeQuietly(connection);
    }
  }

  /** Pairs a reported token with the connection that presented it; each token is used once. */
  #match(token: string): void {
    const reported = this.#tokens.get(token);
    const greeting = this.#greetings.get(token);
    if (!reported || !greeting) return;
    this.#tokens.delete(token);
    this.#greetings.delete(token);
    clearTimeout(greeting.timer);
    if (reported.generation < this.#generation) {
      closeQuietly(greeting.connection); // a spare from before the warmup
      return;
    }
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    const spare = { ...greeting, pid: reported.pid };
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(spare);
    else this.#spares.push(spare);
  }
}

/** Describes a process status in words: `exit code 3` or `killed by SIGKILL`. */
export function describeStatus(status: { code: number | null; signal: string | null }): string {
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

function closeQuietly(connection: Deno.UnixConn): void {
  try {
    connection.close();
  } catch {
    // already closed
  }
}

/** Resolves with `promise`, or with undefined after `ms`. */
async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One deadline shared by the steps of a start. */
class Deadline {
  readonly #expired: Promise<never>;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number, what: string) {
    this.#expired = new Promise<never>((_, reject) => {
      this.#timer = setTimeout(
        () => reject(new WorkerStartError(`the Python worker did not ${what} within ${ms} ms`)),
        ms,
      );
    });
    this.#expired.catch(() => {});
  }

  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#expired]);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}
