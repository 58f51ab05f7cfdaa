/**
 * SessionPool: warm, clean sessions in milliseconds.
 *
 * One template interpreter (the keeper) runs the warmup code once; every session is a fork of it, so a new
 * session costs a fork (copy-on-write) instead of an interpreter start plus imports. The keeper keeps one
 * forked, set-up spare ready, so handing out a new interpreter costs about a millisecond. `release()` gives
 * the session a fresh interpreter forked from the template, so the next user gets exactly the state after
 * warmup, whatever the last one did.
 *
 * @module
 */
import { AcquireTimeoutError, InvalidOptionError, PoolError, WarmupError } from "./errors.ts";
import { releaseSession, type Session, sessionWithSource } from "./session.ts";
import { type InterpreterSource, startKeeper } from "./keeper_source.ts";
import type { SessionOptions } from "./options.ts";
import type { Keeper } from "./keeper.ts";
import { validateSessionOptions } from "./options.ts";

/** Options of a pool. */
export interface SessionPoolOptions extends SessionOptions {
  /** Sessions kept ready in the background. Default 1. */
  minIdle?: number;
  /** The most sessions (processes) the pool holds, idle and busy. Default: the number of CPUs. */
  maxSize?: number;
  /** Code run once in the template interpreter, e.g. `import numpy as np`. */
  warmup?: string;
  /** How long `acquire()` waits for a session before it throws AcquireTimeoutError. Default 30000. */
  acquireTimeoutMs?: number;
  /** After this many uses a session is replaced by a fresh fork. Default 100. */
  maxUses?: number;
  /**
   * Fork every session from one shared template (default true). With false, each session has a keeper of
   * its own, started cold and warmed up: more memory and slower, for when sharing one template is unwanted.
   */
  fork?: boolean;
}

/** Counters of a pool; `acquireP50Ms`/`acquireP99Ms` are over the last 1000 acquisitions. */
export interface PoolStats {
  /** Started sessions waiting to be acquired. */
  idle: number;
  /** Sessions handed out by acquire() and not yet released. */
  busy: number;
  /** Sessions being made or reset right now. */
  pending: number;
  /** Sessions made since start. */
  created: number;
  /** Sessions replaced after maxUses, a timeout kill, a restart or a failed reset. */
  recycled: number;
  /** Sessions found dead (crashed) at release or while idle. */
  crashed: number;
  /** acquire() calls served by an idle session at once. */
  hits: number;
  /** acquire() calls that had to wait for a new or released session. */
  misses: number;
  /** acquire() calls waiting now. */
  waiting: number;
  /** Median time acquire() took, in milliseconds (0 before any acquisition). */
  acquireP50Ms: number;
  /** 99th-percentile time acquire() took, in milliseconds (0 before any acquisition). */
  acquireP99Ms: number;
}

interface Member {
  session: Session;
  /** Where its interpreters come from: the shared template, or a keeper of its own (`fork: false`). */
  source: InterpreterSource;
  uses: number;
  /** `restarts + timeouts` of the session when it was handed out: a change means it must be replaced. */
  mishapsAtAcquire: number;
}

interface Waiter {
  resolve: (member: Member) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A pool of warm sessions that never deadlocks: waiters are served in FIFO order, every wait has a
 * deadline, and a dead session is never handed out.
 *
 * @example
 * ```ts
 * import { SessionPool } from "./pool.ts";
 * const pool = new SessionPool({ minIdle: 1, maxSize: 2 });
 * await pool.start();
 * const value = await pool.withSession(async (session) => (await session.execute("6 * 7")).value);
 * console.log(value); // 42
 * await pool.shutdown();
 * ```
 */
export class SessionPool implements AsyncDisposable {
  readonly #options: Required<
    Pick<SessionPoolOptions, "minIdle" | "maxSize" | "acquireTimeoutMs" | "maxUses">
  >;
  readonly #sessionOptions: SessionOptions;
  readonly #warmup: string;
  readonly #fork: boolean;
  #template: Promise<Keeper> | null = null;
  #idle: Member[] = [];
  #busy = new Map<Session, Member>();
  #pending = 0;
  #waiters: Waiter[] = [];
  #closed = false;
  #started = false;
  #counts = { created: 0, recycled: 0, crashed: 0, hits: 0, misses: 0 };
  #acquireTimes: number[] = [];
  #background = new Set<Promise<unknown>>();

  /** Creates a pool; call `start()` before `acquire()`. */
  constructor(options: SessionPoolOptions = {}) {
    const { minIdle, maxSize, warmup, acquireTimeoutMs, maxUses, fork, ...sessionOptions } =
      options;
    validateSessionOptions(sessionOptions);
    const size = maxSize ?? Math.max(1, navigator.hardwareConcurrency ?? 2);
    this.#options = {
      minIdle: minIdle ?? 1,
      maxSize: size,
      acquireTimeoutMs: acquireTimeoutMs ?? 30_000,
      maxUses: maxUses ?? 100,
    };
    for (const [key, value] of Object.entries(this.#options)) {
      if (!Number.isInteger(value) || value < 0 || (key !== "minIdle" && value === 0)) {
        throw new InvalidOptionError(
          `${key} must be a ${key === "minIdle" ? "non-negative" : "positive"} integer`,
        );
      }
    }
    if (this.#options.minIdle > this.#options.maxSize) {
      throw new InvalidOptionError(
        `minIdle (${this.#options.minIdle}) cannot exceed maxSize (${size})`,
      );
    }
    if (warmup !== undefined && typeof warmup !== "string") {
      throw new InvalidOptionError("warmup must be code");
    }
    this.#warmup = warmup ?? "";
    this.#fork = fork ?? Deno.build.os !== "windows";
    this.#sessionOptions = sessionOptions;
  }

  /** Starts the template interpreter, runs the warmup and fills `minIdle` sessions. */
  async start(): Promise<void> {
    if (this.#closed) throw new PoolError("the pool was shut down; create a new SessionPool");
    if (this.#started) return;
    this.#started = true;
    if (this.#fork) await this.#templateKeeper();
    const fills = [];
    for (let i = 0; i < this.#options.minIdle; i++) fills.push(this.#grow());
    await Promise.all(fills.map((fill) => this.#track(fill)));
    if (this.#closed) throw new PoolError("the pool was shut down while it started");
  }

  /** Hands out a clean session: idle at once, else a new one, else the next released one (FIFO). */
  async acquire(): Promise<Session> {
    if (this.#closed) throw new PoolError("the pool was shut down; create a new SessionPool");
    if (!this.#started) await this.start();
    const started = performance.now();
    let member = this.#takeIdle();
    if (member) {
      this.#counts.hits++;
    } else {
      this.#counts.misses++;
      member = await this.#wait();
    }
    member.mishapsAtAcquire = mishaps(member.session);
    this.#busy.set(member.session, member); // a waiter's member is already there (see #offer)
    this.#record(performance.now() - started);
    this.#refill();
    return member.session;
  }

  /**
   * Gives a session back. Its handle is closed for good (later calls throw SessionClosedError); the
   * next user gets a new handle on a fresh interpreter forked from the template, or a replacement when
   * the session died or is used up.
   */
  async release(session: Session): Promise<void> {
    const member = this.#busy.get(session);
    if (!member) {
      throw new PoolError(
        "release(): this session is not one this pool handed out, or was released",
      );
    }
    this.#busy.delete(session);
    member.uses++;
    const alive = session.alive;
    const reusable = alive && member.uses < this.#options.maxUses &&
      mishaps(session) === member.mishapsAtAcquire;
    releaseSession(session);
    if (this.#closed) {
      await session.shutdown();
      return;
    }
    if (!alive) this.#counts.crashed++;
    else if (!reusable) this.#counts.recycled++;
    this.#pending++;
    try {
      if (reusable) {
        try {
          const renewed = sessionWithSource(this.#sessionOptions, member.source);
          await renewed.start();
          this.#offer({ ...member, session: renewed });
          return;
        } catch {
          this.#counts.recycled++; // a session that cannot renew is replaced below
        }
      }
      if (member.source !== this.#sharedSource) await this.#closeOwnKeeper(member.source);
    } finally {
      this.#pending--;
    }
    this.#refill();
  }

  /** Runs `fn` with an acquired session and releases it afterwards, also when `fn` throws. */
  async withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    try {
      return await fn(session);
    } finally {
      await this.release(session);
    }
  }

  /** The pool's counters. */
  stats(): PoolStats {
    const sorted = [...this.#acquireTimes].sort((a, b) => a - b);
    const pick = (q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
    return {
      idle: this.#idle.length,
      busy: this.#busy.size,
      pending: this.#pending,
      ...this.#counts,
      waiting: this.#waiters.length,
      acquireP50Ms: pick(0.5),
      acquireP99Ms: pick(0.99),
    };
  }

  /** Ends every session and the template; waiting acquire() calls fail with PoolError. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new PoolError("the pool was shut down while acquire() waited"));
    }
    await Promise.allSettled([...this.#background]);
    const sessions = [...this.#idle.map((m) => m.session), ...this.#busy.keys()];
    this.#idle = [];
    this.#busy.clear();
    await Promise.allSettled(sessions.map((s) => s.shutdown()));
    await Promise.allSettled([...this.#ownKeepers.keys()].map((s) => this.#closeOwnKeeper(s)));
    const template = this.#template;
    this.#template = null;
    if (template) await (await template.catch(() => null))?.close();
  }

  /** Shuts the pool down (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #size(): number {
    return this.#idle.length + this.#busy.size + this.#pending;
  }

  #takeIdle(): Member | undefined {
    while (this.#idle.length > 0) {
      const member = this.#idle.shift()!;
      if (member.session.alive) return member;
      this.#counts.crashed++;
      this.#track(member.session.shutdown());
    }
    return undefined;
  }

  #wait(): Promise<Member> {
    return new Promise<Member>((resolve, reject) => {
      const timeoutMs = this.#options.acquireTimeoutMs;
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(
            new AcquireTimeoutError(
              `no session became free within ${timeoutMs} ms (maxSize ${this.#options.maxSize}, ` +
                `${this.#busy.size} busy); release sessions sooner or raise maxSize/acquireTimeoutMs`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
      this.#refill();
    });
  }

  /** Gives a ready session to the first waiter, or makes it idle. */
  #offer(member: Member): void {
    if (this.#closed) {
      this.#track(member.session.shutdown());
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      // Busy from now on, not from when the waiter resumes: a session in transit still counts toward maxSize.
      this.#busy.set(member.session, member);
      waiter.resolve(member);
    } else {
      this.#idle.push(member);
    }
  }

  /** Starts new sessions while waiters or the idle target need them and maxSize allows. */
  #refill(): void {
    if (this.#closed) return;
    const wanted = Math.max(this.#options.minIdle - this.#idle.length, 0) + this.#waiters.length -
      this.#pending;
    for (let i = 0; i < wanted && this.#size() < this.#options.maxSize; i++) {
      this.#track(this.#grow());
    }
  }

  async #grow(): Promise<void> {
    this.#pending++;
    let member: Member | null = null;
    try {
      member = await this.#create();
    } catch (error) {
      const waiter = this.#waiters.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.reject(
          new PoolError(`could not start a session: ${(error as Error).message}`, { cause: error }),
        );
      }
    } finally {
      this.#pending--;
    }
    if (member) this.#offer(member);
  }

  async #create(): Promise<Member> {
    const source = this.#fork ? this.#sharedSource : this.#ownTemplate();
    const session = sessionWithSource(this.#sessionOptions, source);
    try {
      await session.start();
    } catch (error) {
      await session.shutdown();
      throw error;
    }
    this.#counts.created++;
    return { session, source, uses: 0, mishapsAtAcquire: 0 };
  }

  /** With fork sharing: every session's interpreters come from the one template keeper. */
  readonly #sharedSource: InterpreterSource = {
    ownsKeeper: false,
    keeper: () => this.#templateKeeper(),
  };

  /** Without fork sharing: each session gets a keeper of its own, started cold and warmed up. */
  #ownTemplate(): InterpreterSource {
    let keeper: Promise<Keeper> | null = null;
    const source = {
      ownsKeeper: true,
      keeper: async () => {
        const current = keeper ? await keeper.catch(() => null) : null;
        if (current && !current.closed) return current;
        keeper = this.#startTemplate();
        this.#ownKeepers.set(source, keeper);
        return await keeper;
      },
    };
    return source;
  }

  /** Keepers of `fork: false` members, so that a member replaced at release closes its own. */
  readonly #ownKeepers = new Map<InterpreterSource, Promise<Keeper>>();

  async #closeOwnKeeper(source: InterpreterSource): Promise<void> {
    const keeper = this.#ownKeepers.get(source);
    this.#ownKeepers.delete(source);
    await (await keeper?.catch(() => null))?.close();
  }

  async #templateKeeper(): Promise<Keeper> {
    const current = this.#template ? await this.#template.catch(() => null) : null;
    if (current && !current.closed) return current;
    if (this.#closed) throw new PoolError("the pool was shut down");
    const starting = this.#startTemplate();
    this.#template = starting;
    const keeper = await starting;
    if (this.#closed) {
      // shutdown() ran while the template started: it must not outlive the pool.
      await keeper.close();
      throw new PoolError("the pool was shut down");
    }
    return keeper;
  }

  /** Starts a keeper and runs the warmup in it (within startTimeoutMs), so forks start warm. */
  async #startTemplate(): Promise<Keeper> {
    try {
      return await startKeeper(this.#sessionOptions, {
        // Releases renew sessions from spares: keep enough coming for a burst of them.
        spares: this.#fork ? Math.min(this.#options.maxSize, 3) : 1,
        warmup: this.#warmup || undefined,
      });
    } catch (error) {
      if (!(error instanceof WarmupError)) throw error;
      throw new PoolError(error.message, { cause: error });
    }
  }

  #record(ms: number): void {
    this.#acquireTimes.push(ms);
    if (this.#acquireTimes.length > 1000) this.#acquireTimes.shift();
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise.catch(() => {}).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
    return promise;
  }
}

function mishaps(session: Session): number {
  return session.restarts + session.timeouts;
}
