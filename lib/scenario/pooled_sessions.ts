/**
 * Sessions for scenario runs from SessionPools: one pool per interpreter configuration, so a scenario's
 * fresh session is a fork of a warm template instead of a cold interpreter start.
 *
 * @module
 */
import { SessionPool } from "../pool.ts";
import type { SessionOptions } from "../results.ts";
import type { Session } from "../session.ts";
import type { ScenarioSession, SessionFactory } from "./scenario_run.ts";

/** Hands out pooled sessions whose `shutdown()` gives them back to their pool. */
export class PooledSessions implements AsyncDisposable {
  readonly #pools = new Map<string, SessionPool>();
  readonly #jobs: number;

  /** `jobs` is how many scenarios run at once; each pool keeps that many sessions warm. */
  constructor(jobs: number) {
    this.#jobs = Math.max(1, jobs);
  }

  /** The factory to pass to `runScenarios()`/`ScenarioRun`. */
  readonly factory: SessionFactory = async (options: SessionOptions): Promise<ScenarioSession> => {
    const pool = this.#pool(options);
    const session = await pool.acquire();
    return releasing(session, pool);
  };

  /** Shuts every pool down. */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.shutdown()));
  }

  /** Closes the pools (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pool(options: SessionOptions): SessionPool {
    const key = JSON.stringify([options.python ?? "", options.cwd ?? "", options.env ?? {}]);
    let pool = this.#pools.get(key);
    if (!pool) {
      // Named sessions make a scenario hold more than one session at a time: leave room for them.
      pool = new SessionPool({ ...options, minIdle: this.#jobs, maxSize: this.#jobs * 4 });
      this.#pools.set(key, pool);
    }
    return pool;
  }
}

function releasing(session: Session, pool: SessionPool): ScenarioSession {
  let released = false;
  return {
    execute: (code, options) => session.execute(code, options),
    checkpoint: () => session.checkpoint(),
    restore: (checkpoint) => session.restore(checkpoint as Parameters<Session["restore"]>[0]),
    commit: () => session.commit(),
    rollback: () => session.rollback(),
    restart: () => session.restart(),
    async shutdown() {
      if (released) return;
      released = true;
      await pool.release(session);
    },
  };
}
