/**
 * A pool's counters: what happened to its sessions, and how long acquisitions took.
 *
 * @module
 */

/** How many acquisition times the percentiles are taken over (the most recent ones). */
const WINDOW = 1000;

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

/** The counts a pool keeps over its life. */
export type PoolCounts = Pick<PoolStats, "created" | "recycled" | "crashed" | "hits" | "misses">;

/** The sizes of a pool at one moment. */
export type PoolSizes = Pick<PoolStats, "idle" | "busy" | "pending" | "waiting">;

/**
 * A pool's counts and the times of its last 1000 acquisitions.
 *
 * @example
 * ```ts
 * import { PoolStatsRecorder } from "./pool_stats.ts";
 * const recorder = new PoolStatsRecorder();
 * recorder.counts.hits++;
 * recorder.recordAcquire(2);
 * const stats = recorder.snapshot({ idle: 1, busy: 0, pending: 0, waiting: 0 });
 * console.log(stats.hits, stats.acquireP50Ms); // 1 2
 * ```
 */
export class PoolStatsRecorder {
  /** The counts, incremented by the pool. */
  readonly counts: PoolCounts = { created: 0, recycled: 0, crashed: 0, hits: 0, misses: 0 };
  #acquireTimes: number[] = [];

  /** Records how long one acquisition took. */
  recordAcquire(ms: number): void {
    this.#acquireTimes.push(ms);
    if (this.#acquireTimes.length > WINDOW) this.#acquireTimes.shift();
  }

  /** The pool's stats: `sizes` now, the counts so far, and the acquisition-time percentiles. */
  snapshot(sizes: PoolSizes): PoolStats {
    const sorted = [...this.#acquireTimes].sort((a, b) => a - b);
    const pick = (q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
    return {
      idle: sizes.idle,
      busy: sizes.busy,
      pending: sizes.pending,
      ...this.counts,
      waiting: sizes.waiting,
      acquireP50Ms: pick(0.5),
      acquireP99Ms: pick(0.99),
    };
  }
}
