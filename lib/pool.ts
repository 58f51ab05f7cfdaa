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
import { AcquireTimeoutError, PoolError } from "./errors.ts";
import { releaseSession, type Session, sessionWithSource } from "./session.ts";
import type { InterpreterSource } from "./keeper_source.ts";
import type { SessionOptions } from "./options.ts";
import { type PoolLimits, resolvePoolOptions, type SessionPoolOptions } from "./pool_options.ts";
import { type PoolStats, PoolStatsRecorder } from "./pool_stats.ts";
import { PoolTemplates } from "./_pool_templates.ts";

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
  readonly #options: PoolLimits;
  readonly #sessionOptions: SessionOptions;
  readonly #templates: PoolTemplates;
  #idle: Member[] = [];
  #busy = new Map<Session, Member>();
  #pending = 0;
  #waiters: Waiter[] = [];
  #closed = false;
  #started = false;
  #stats = new PoolStatsRecorder();
  #background = new Set<Promise<unknown>>();

  /** The PYTHONHASHSEED of the pool's interpreters (a `"random"` option resolved to a number). */
  get hashSeed(): number {
    return this.#sessionOptions.hashSeed as number;
  }

  /** Creates a pool; call `start()` before `acquire()`. */
  constructor(options: SessionPoolOptions = {}) {
    const resolved = resolvePoolOptions(options);
    this.#options = resolved.limits;
    this.#sessionOptions = resolved.session;
    this.#templates = new PoolTemplates({
      session: resolved.session,
      warmup: resolved.warmup,
      fork: resolved.fork,
      maxSize: resolved.limits.maxSize,
      closed: () => this.#closed,
    });
  }

  /** Starts the template interpreter, runs the warmup and fills `minIdle` sessions. */
  async start(): Promise<void> {
    if (this.#closed) throw new PoolError("the pool was shut down; create a new SessionPool");
    if (this.#started) return;
    this.#started = true;
    await this.#templates.start();
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
      this.#stats.counts.hits++;
    } else {
      this.#stats.counts.misses++;
      member = await this.#wait();
    }
    member.mishapsAtAcquire = mishaps(member.session);
    this.#busy.set(member.session, member); // a waiter's member is already there (see #offer)
    this.#stats.recordAcquire(performance.now() - started);
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
    if (!alive) this.#stats.counts.crashed++;
    else if (!reusable) this.#stats.counts.recycled++;
    this.#pending++;
    try {
      if (reusable) {
        try {
          const renewed = sessionWithSource(this.#sessionOptions, member.source);
          await renewed.start();
          this.#offer({ ...member, session: renewed });
          return;
        } catch {
          this.#stats.counts.recycled++; // a session that cannot renew is replaced below
        }
      }
      if (member.source.ownsKeeper) await this.#templates.retire(member.source);
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
    return this.#stats.snapshot({
      idle: this.#idle.length,
      busy: this.#busy.size,
      pending: this.#pending,
      waiting: this.#waiters.length,
    });
  }

  /** Ends every session and the template; waiting acquire() calls fail with PoolError. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new PoolError("the pool was shut down while acquire() waited"));
    }
    // Templates first: a session being made that waits for a spare then fails at once instead of
    // keeping shutdown() waiting for it.
    await this.#templates.close();
    await Promise.allSettled([...this.#background]);
    const sessions = [...this.#idle.map((m) => m.session), ...this.#busy.keys()];
    this.#idle = [];
    this.#busy.clear();
    await Promise.allSettled(sessions.map((s) => s.shutdown()));
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
      this.#stats.counts.crashed++;
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
    const source = this.#templates.source();
    const session = sessionWithSource(this.#sessionOptions, source);
    try {
      await session.start();
    } catch (error) {
      await session.shutdown();
      throw error;
    }
    this.#stats.counts.created++;
    return { session, source, uses: 0, mishapsAtAcquire: 0 };
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
