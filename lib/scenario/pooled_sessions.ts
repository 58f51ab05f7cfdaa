/**
 * Sessions for scenario runs from SessionPools: one pool per interpreter configuration, so a scenario's
 * fresh session is a fork of a warm template instead of a cold interpreter start.
 *
 * @module
 */
import { SessionPool } from "../pool.ts";
import type { Session } from "../session.ts";
import type { SessionOptions } from "../options.ts";
import type { ScenarioSession, ScenarioSessionHints, SessionFactory } from "./scenario_run.ts";
import type { Scenario } from "./types.ts";

/** Options of `PooledSessions`. */
export interface PooledSessionsOptions {
  /**
   * The most sessions one scenario holds at once: its number of distinct `session:` names
   * (see `sessionsHeldAtOnce()`). Each pool holds `jobs` times this many. Default 1.
   */
  sessionsPerScenario?: number;
}

/** Hands out pooled sessions whose `shutdown()` gives them back to their pool. */
export class PooledSessions implements AsyncDisposable {
  readonly #pools = new Map<string, SessionPool>();
  readonly #jobs: number;
  readonly #perScenario: number;

  /** `jobs` is how many scenarios run at once; each pool keeps that many sessions warm. */
  constructor(jobs: number, options: PooledSessionsOptions = {}) {
    this.#jobs = Math.max(1, jobs);
    this.#perScenario = Math.max(1, options.sessionsPerScenario ?? 1);
  }

  /** The factory to pass to `runScenarios()`/`ScenarioRun`. */
  readonly factory: SessionFactory = async (
    options: SessionOptions,
    scenario: ScenarioSessionHints = {},
  ): Promise<ScenarioSession> => {
    const pool = this.#pool({ ...options, warmup: scenario.warmup });
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

  #pool(options: SessionOptions & ScenarioSessionHints): SessionPool {
    const key = JSON.stringify([
      options.warmup ?? "",
      options.python ?? "",
      options.cwd ?? "",
      options.env ?? {},
      options.limits ?? {},
      options.hashSeed ?? 0,
      options.maxOutputChars ?? 0,
    ]);
    let pool = this.#pools.get(key);
    if (!pool) {
      // A scenario holds each of its named sessions until it ends: a pool smaller than that makes
      // the scenario wait for itself until acquire() times out.
      pool = new SessionPool({
        ...options,
        minIdle: this.#jobs,
        maxSize: this.#jobs * this.#perScenario,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }
}

/**
 * The most sessions any of `scenarios` holds at once: its distinct `session:` names (a scenario
 * keeps every session it used until it ends).
 *
 * @example
 * ```ts
 * import { loadScenario } from "./load.ts";
 * import { sessionsHeldAtOnce } from "./pooled_sessions.ts";
 * const n = sessionsHeldAtOnce([await loadScenario("scenarios/greeting.yaml")]);
 * if (n !== 1) throw new Error(String(n));
 * ```
 */
export function sessionsHeldAtOnce(scenarios: readonly Scenario[]): number {
  return Math.max(1, ...scenarios.map((s) => new Set(s.steps.map((step) => step.session)).size));
}

function releasing(session: Session, pool: SessionPool): ScenarioSession {
  let released = false;
  return {
    execute: (code, options) => session.execute(code, options),
    checkpoint: (options) => session.checkpoint(options),
    restore: (checkpoint) => session.restore(checkpoint as Parameters<Session["restore"]>[0]),
    commit: () => session.commit(),
    rollback: () => session.rollback(),
    restart: () => session.restart(),
    pythonVersion: session.pythonVersion,
    async shutdown() {
      if (released) return;
      released = true;
      await pool.release(session);
    },
  };
}
