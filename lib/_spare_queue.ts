/**
 * The keeper's queue of spare interpreters: the ones ready, the callers waiting for one, and the
 * handshake that lets a connection join it.
 *
 * The keeper reports each spare it forks with a one-time random token (on its control pipe); the spare
 * connects to the unix socket this queue accepts on and presents the token in its hello (on the socket).
 * The two travel on different channels, so either may come first: a connection joins the queue once its
 * token matches an unused reported one, and is refused when no report comes in time, so no other process
 * can pose as an interpreter. A warmup starts a new generation; spares of an older one are dropped.
 *
 * @module
 */
import { FrameReader } from "./frames.ts";
import { decodeInterpreterMessage, PROTOCOL_VERSION } from "./protocol.ts";
import { ProtocolVersionError, WorkerStartError } from "./errors.ts";
import { withinMs } from "./_timing.ts";

/** How long a hello may wait for the keeper's report of its token (the two travel on different channels). */
const TOKEN_WAIT_MS = 5000;

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

/** Options of a {@linkcode SpareQueue}. */
export interface SpareQueueOptions {
  /** How many spares to keep ready or coming (at least 1). */
  target: number;
  /** Asks the keeper to fork one more spare. */
  requestSpawn: () => void;
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

/** Spares ready to take, callers waiting for one, and the token handshake that admits a connection. */
export class SpareQueue {
  readonly #listener: Deno.Listener<Deno.UnixConn>;
  readonly #target: number;
  readonly #requestSpawn: () => void;
  #spares: Spare[] = [];
  #waiters: Waiter[] = [];
  /** Spares asked for that have not connected yet (the keeper forks the first one unasked). */
  #inFlight = 1;
  #generation = 0;
  /** Tokens the keeper reported and no connection presented yet: token -> pid and generation. */
  #tokens = new Map<string, { pid: number; generation: number }>();
  /** Hellos whose token the keeper has not reported yet. */
  #greetings = new Map<string, Greeting>();
  #stopped = false;

  /** Starts accepting connections on `listener`, which the queue owns from now on. */
  constructor(listener: Deno.Listener<Deno.UnixConn>, options: SpareQueueOptions) {
    this.#listener = listener;
    this.#target = Math.max(1, options.target);
    this.#requestSpawn = options.requestSpawn;
    this.#acceptLoop();
  }

  /** The generation of the keeper's `__main__` that new spares must come from. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Takes a ready spare (waiting for one if none is) and asks for the next one. A wait longer than
   * `timeoutMs` gives up with WorkerStartError and leaves the queue.
   */
  async take(timeoutMs: number): Promise<Spare> {
    const spare = this.#spares.shift() ??
      await new Promise<Spare>((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(new WorkerStartError(`no interpreter became ready within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter: Waiter = {
          resolve: (spare) => {
            clearTimeout(timer);
            resolve(spare);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        this.#waiters.push(waiter);
        this.refill();
      });
    this.refill();
    return spare;
  }

  /** Keeps the target number of spares ready or coming, and one more for every waiter beyond it. */
  refill(): void {
    if (this.#stopped) return;
    const wanted = Math.max(this.#target, this.#waiters.length) - this.#spares.length -
      this.#inFlight;
    for (let i = 0; i < wanted; i++) {
      this.#inFlight++;
      this.#requestSpawn();
    }
  }

  /** The keeper reported a spare it forked, with its one-time token. */
  reported(token: string, pid: number, generation: number): void {
    this.#tokens.set(token, { pid, generation });
    this.#match(token);
  }

  /**
   * The keeper reported that `pid` exited: a ready spare of that pid is dropped and replaced, and one
   * that died before it connected no longer counts as coming (else a waiter could wait for it forever).
   */
  exited(pid: number): void {
    const index = this.#spares.findIndex((spare) => spare.pid === pid);
    if (index >= 0) {
      closeQuietly(this.#spares.splice(index, 1)[0].connection);
      this.refill();
      return;
    }
    for (const [token, reported] of this.#tokens) {
      if (reported.pid !== pid) continue;
      this.#tokens.delete(token);
      if (reported.generation >= this.#generation) {
        this.#inFlight = Math.max(0, this.#inFlight - 1);
        this.refill();
      }
    }
  }

  /** A warmup changed `__main__`: ready spares are dropped and spares of `generation` asked for. */
  renew(generation: number): void {
    this.#generation = generation;
    for (const spare of this.#spares.splice(0)) spare.connection.close();
    this.#inFlight = 1;
    this.refill();
  }

  /** Asks the keeper for no more spares (it is being closed). */
  stop(): void {
    this.#stopped = true;
  }

  /** The keeper ended: waiting callers get `error`, ready spares are closed, none is asked for. */
  fail(error: Error): void {
    this.#stopped = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    for (const spare of this.#spares.splice(0)) closeQuietly(spare.connection);
  }

  /** Stops accepting, and closes every spare and every connection still in its handshake. */
  close(): void {
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

function closeQuietly(connection: Deno.UnixConn): void {
  try {
    connection.close();
  } catch {
    // already closed
  }
}
