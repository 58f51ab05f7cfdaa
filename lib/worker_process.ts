/**
 * The keeper process: spawning it, forking interpreters from it, liveness and kill.
 * Knows nothing about cells.
 *
 * Deno spawns one keeper (runner/keeper.py) per standalone session, or one per pool. The keeper forks
 * interpreters ahead of need ("spares"); each sets itself up, connects back over a unix socket that this
 * class listens on, and waits in a queue here until a session takes it (and asks the keeper for the next).
 * Because an interpreter's pid changes when a transaction rolls back (a forked savepoint takes over),
 * liveness comes from the keeper, whose pid never changes: it reaps every descendant and reports each exit.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { encodeFrame, FrameReader, streamSource } from "./frames.ts";
import {
  decodeMessage,
  encodeMessage,
  type InterpreterMessage,
  type KeeperMessage,
  type KeeperRequest,
  PROTOCOL_VERSION,
} from "./protocol.ts";
import { ProtocolVersionError, WorkerStartError } from "./errors.ts";
import { resolvePython } from "./python.ts";

const BOOT_PATH = fileURLToPath(new URL("../runner/boot.py", import.meta.url));
const BOOT_CODE = `exec(compile(open(${JSON.stringify(BOOT_PATH)}).read(), ${
  JSON.stringify(BOOT_PATH)
}, "exec"), {"__name__": "_pyrepl3_boot", "__file__": ${JSON.stringify(BOOT_PATH)}})`;
const STDERR_TAIL_BYTES = 16 * 1024;
/** How long close() lets the keeper end its interpreters after SIGTERM before it is killed. */
const KEEPER_TERM_MS = 1000;

/** Options of a keeper process. */
export interface WorkerProcessOptions {
  /** The interpreter command or path. Default `python3`. */
  python?: string;
  /** Working directory of the keeper (and default of its interpreters). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** How long the keeper may take to say hello. Default 30000 ms. */
  startTimeoutMs?: number;
  /**
   * How many ready interpreters the keeper keeps forked ahead of need. Default 1; a pool that hands out
   * sessions in bursts wants more (each spare is a process, mostly memory shared with the keeper).
   */
  spares?: number;
}

/** How a process ended, as the keeper reports it. */
export interface ProcessExit {
  pid: number;
  code: number | null;
  signal: string | null;
}

/** A freshly forked interpreter, connected and greeted. */
export interface SpawnedInterpreter {
  pid: number;
  python: string;
  connection: Deno.UnixConn;
  reader: FrameReader;
}

interface SpareWaiter {
  resolve: (spare: SpawnedInterpreter) => void;
  reject: (error: Error) => void;
}

/** A running keeper: forks interpreters and reports their exits. */
export class WorkerProcess {
  /** The keeper's pid (stable for the life of the keeper). */
  readonly pid: number;
  /** The Python version, e.g. `3.11.7`. */
  readonly pythonVersion: string;
  /** The interpreter binary the keeper runs. */
  readonly executable: string;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #listener: Deno.Listener<Deno.UnixConn>;
  #socketDir: string;
  #socketPath: string;
  #spares: SpawnedInterpreter[] = [];
  #spareWaiters: SpareWaiter[] = [];
  /** Spares the keeper is forking that have not connected yet. */
  #sparesInFlight = 1;
  #sparesTarget = 1;
  /** Spares of an older generation (forked before a warmup) are dropped when they connect. */
  #generation = 0;
  #warmups = new Map<string, (message: KeeperMessage & { t: "warmup_done" }) => void>();
  #exitListeners = new Set<(exit: ProcessExit) => void>();
  #groups = new Set<number>();
  #stderrTail: TailBuffer;
  #closed = false;
  /** Resolves when the keeper process has ended. */
  readonly exited: Promise<Deno.CommandStatus>;

  private constructor(
    child: Deno.ChildProcess,
    listener: Deno.Listener<Deno.UnixConn>,
    socketDir: string,
    hello: KeeperMessage & { t: "keeper_hello" },
    stderrTail: TailBuffer,
  ) {
    this.#stderrTail = stderrTail;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#listener = listener;
    this.#socketDir = socketDir;
    this.#socketPath = `${socketDir}/s`;
    this.pid = hello.pid;
    this.pythonVersion = hello.python;
    this.executable = hello.executable;
    this.exited = child.status;
    this.#acceptLoop();
  }

  /** Spawns a keeper and waits for its hello. */
  static async start(options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
    const executable = await resolvePython(options.python ?? "python3");
    const socketDir = await Deno.makeTempDir({ prefix: "pyrepl3-" });
    const listener = Deno.listen({ transport: "unix", path: `${socketDir}/s` });
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(executable, {
        args: ["-c", BOOT_CODE, `${socketDir}/s`],
        cwd: options.cwd,
        env: options.env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (cause) {
      listener.close();
      await Deno.remove(socketDir, { recursive: true }).catch(() => {});
      throw new WorkerStartError(`cannot start ${executable}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const reader = new FrameReader(streamSource(child.stdout));
    const stderrTail = new TailBuffer(STDERR_TAIL_BYTES);
    const stderrDone = collectTail(child.stderr, stderrTail);
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const first = await Promise.race([
        reader.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new WorkerStartError(`the Python worker did not start within ${timeoutMs} ms`),
              ),
            timeoutMs,
          );
        }),
      ]);
      if (first === null) {
        await child.status;
        await stderrDone;
        const stderr = stderrTail.text().trim();
        throw new WorkerStartError(
          `the Python worker exited before it started: ${stderr || "(no output)"}`,
        );
      }
      const hello = decodeMessage<KeeperMessage>(first);
      if (hello.t !== "keeper_hello") {
        throw new WorkerStartError(`unexpected first message ${hello.t}`);
      }
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw new ProtocolVersionError(PROTOCOL_VERSION, hello.protocol);
      }
      const worker = new WorkerProcess(child, listener, socketDir, hello, stderrTail);
      worker.#sparesTarget = Math.max(1, options.spares ?? 1);
      worker.#readLoop(reader, stderrDone);
      worker.#requestSpares();
      return worker;
    } catch (error) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await reader.cancel();
      listener.close();
      await Deno.remove(socketDir, { recursive: true }).catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
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

  /** Calls `listener` for every process exit the keeper reports; returns a function that unsubscribes. */
  onExit(listener: (exit: ProcessExit) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /**
   * Takes a ready interpreter (forked from the keeper, set up and connected), gives it its working
   * directory and environment, and asks the keeper for the next one.
   */
  async spawnInterpreter(
    options: { cwd?: string; env?: Record<string, string> } = {},
  ): Promise<SpawnedInterpreter> {
    if (this.#closed) throw new WorkerStartError("the Python worker has exited");
    const spare = this.#spares.shift() ??
      await new Promise<SpawnedInterpreter>((resolve, reject) => {
        this.#spareWaiters.push({ resolve, reject });
        this.#requestSpares();
      });
    this.#requestSpares();
    const setup = encodeMessage({ t: "request", id: "setup", op: "setup", ...options });
    try {
      await spare.connection.write(encodeFrame(setup));
      const payload = await spare.reader.next();
      const reply = payload && decodeMessage<InterpreterMessage>(payload);
      if (!reply || reply.t !== "reply") throw new Error("the interpreter closed during set-up");
      if (!reply.ok) throw new Error(`${reply.error?.type}: ${reply.error?.message}`);
    } catch (cause) {
      this.killGroup(spare.pid);
      spare.connection.close();
      throw new WorkerStartError(
        `could not set up the interpreter (cwd ${JSON.stringify(options.cwd ?? ".")}): ${
          (cause as Error).message
        }`,
        { cause },
      );
    }
    return spare;
  }

  /** Keeps the target number of spares ready or coming, and one more for every waiter beyond it. */
  #requestSpares(): void {
    const wanted = Math.max(this.#sparesTarget, this.#spareWaiters.length) - this.#spares.length -
      this.#sparesInFlight;
    for (let i = 0; i < wanted; i++) {
      this.#sparesInFlight++;
      this.#send({ t: "spawn" }).catch(() => {});
    }
  }

  /** Runs `code` in the keeper's `__main__`, so interpreters forked afterwards start with its effects. */
  warmup(code: string): Promise<void> {
    const id = crypto.randomUUID();
    return new Promise<void>((resolve, reject) => {
      this.#warmups.set(id, (message) => {
        // Spares forked before the warmup are gone; the keeper forks one of the new generation.
        this.#generation = message.generation;
        for (const spare of this.#spares.splice(0)) spare.connection.close();
        this.#sparesInFlight = 1;
        this.#requestSpares();
        if (message.ok) resolve();
        else {
          const error = message.error;
          reject(new WorkerStartError(`warmup code failed: ${error?.traceback || error?.message}`));
        }
      });
      this.#send({ t: "warmup", id, code }).catch(reject);
    });
  }

  /** Kills one interpreter's process group (the interpreter and its savepoints). */
  killGroup(pgid: number, signal: Deno.Signal = "SIGKILL"): void {
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
      for (const pgid of this.#groups) this.killGroup(pgid);
      // SIGTERM first: the keeper then kills the interpreters Deno does not know yet (spares still
      // being made) before it exits. SIGKILL if it does not end at once.
      this.#signalKeeper("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.exited,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, KEEPER_TERM_MS))),
      ]);
      clearTimeout(timer);
      this.#signalKeeper("SIGKILL");
    }
    await this.exited;
    await this.#shutdownIo();
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
    for (const spare of this.#spares.splice(0)) {
      try {
        spare.connection.close();
      } catch {
        // already closed
      }
    }
    await this.#stdin.close().catch(() => {});
    await Deno.remove(this.#socketDir, { recursive: true }).catch(() => {});
  }

  async #send(message: KeeperRequest): Promise<void> {
    await this.#stdin.write(encodeFrame(encodeMessage(message)));
  }

  async #readLoop(reader: FrameReader, stderrDone: Promise<void>): Promise<void> {
    try {
      while (true) {
        const payload = await reader.next();
        if (payload === null) break;
        this.#dispatch(decodeMessage<KeeperMessage>(payload));
      }
    } catch {
      // a broken control stream means the keeper is gone; the status below says how
    }
    const status = await this.exited;
    for (const pgid of this.#groups) this.killGroup(pgid);
    await stderrDone;
    this.#closed = true;
    const error = new WorkerStartError(`the Python worker exited (${describeStatus(status)})`);
    for (const waiter of this.#spareWaiters.splice(0)) waiter.reject(error);
    for (const spare of this.#spares.splice(0)) spare.connection.close();
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
      case "exited": {
        const index = this.#spares.findIndex((spare) => spare.pid === message.pid);
        if (index >= 0) {
          this.#spares.splice(index, 1)[0].connection.close();
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
      case "keeper_hello":
        return;
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

  async #greet(connection: Deno.UnixConn): Promise<void> {
    const reader = new FrameReader(connection);
    try {
      const first = await reader.next();
      if (first === null) throw new Error("closed before hello");
      const hello = decodeMessage<InterpreterMessage>(first);
      if (hello.t !== "hello") throw new Error(`expected hello, got ${hello.t}`);
      if (hello.protocol !== PROTOCOL_VERSION) {
        const error = new ProtocolVersionError(PROTOCOL_VERSION, hello.protocol);
        for (const waiter of this.#spareWaiters.splice(0)) waiter.reject(error);
        throw error;
      }
      if (hello.generation < this.#generation) throw new Error("a spare from before the warmup");
      this.#sparesInFlight = Math.max(0, this.#sparesInFlight - 1);
      this.#groups.add(hello.pid); // so that close() kills it even if no session ever takes it
      const spare = { pid: hello.pid, python: hello.python, connection, reader };
      const waiter = this.#spareWaiters.shift();
      if (waiter) waiter.resolve(spare);
      else this.#spares.push(spare);
    } catch {
      await reader.cancel();
      try {
        connection.close();
      } catch {
        // already closed
      }
    }
  }
}

/** Keeps the last `limit` bytes written to a stream. */
class TailBuffer {
  #chunks: Uint8Array[] = [];
  #size = 0;
  constructor(readonly limit: number) {}

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#chunks.length > 1 && this.#size - this.#chunks[0].length >= this.limit) {
      this.#size -= this.#chunks.shift()!.length;
    }
  }

  text(): string {
    const joined = concat(this.#chunks);
    return new TextDecoder().decode(joined.subarray(Math.max(0, joined.length - this.limit)));
  }
}

async function collectTail(stream: ReadableStream<Uint8Array>, tail: TailBuffer): Promise<void> {
  try {
    for await (const chunk of stream) tail.push(chunk);
  } catch {
    // the stream closed with the process
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Describes a process status in words: `exit code 3` or `signal SIGKILL`. */
export function describeStatus(status: { code: number | null; signal: string | null }): string {
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}
