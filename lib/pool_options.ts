/**
 * A pool's options: their type, their defaults, and their validation at the API boundary.
 *
 * @module
 */
import { InvalidOptionError } from "./errors.ts";
import { resolveHashSeed, type SessionOptions, validateSessionOptions } from "./options.ts";

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

/** A pool's sizes and limits, defaults applied. */
export interface PoolLimits {
  /** Sessions kept ready in the background. */
  minIdle: number;
  /** The most sessions the pool holds, idle and busy. */
  maxSize: number;
  /** How long `acquire()` waits for a session. */
  acquireTimeoutMs: number;
  /** After this many uses a session is replaced. */
  maxUses: number;
}

/** {@linkcode SessionPoolOptions} checked, with the defaults applied. */
export interface ResolvedPoolOptions {
  /** Sizes and limits. */
  limits: PoolLimits;
  /** The warmup code, `""` for none. */
  warmup: string;
  /** Whether sessions fork from one shared template. */
  fork: boolean;
  /** The options every session of the pool is made with. */
  session: SessionOptions;
}

/**
 * Checks a pool's options and applies the defaults; a wrong option throws InvalidOptionError.
 *
 * @example
 * ```ts
 * import { resolvePoolOptions } from "./pool_options.ts";
 * const { limits } = resolvePoolOptions({ maxSize: 4 });
 * console.log(limits.minIdle, limits.maxSize, limits.maxUses); // 1 4 100
 * ```
 */
export function resolvePoolOptions(options: SessionPoolOptions): ResolvedPoolOptions {
  const { minIdle, maxSize, warmup, acquireTimeoutMs, maxUses, fork, ...session } = options;
  validateSessionOptions(session);
  const size = maxSize ?? Math.max(1, navigator.hardwareConcurrency ?? 2);
  const limits: PoolLimits = {
    minIdle: minIdle ?? 1,
    maxSize: size,
    acquireTimeoutMs: acquireTimeoutMs ?? 30_000,
    maxUses: maxUses ?? 100,
  };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 0 || (key !== "minIdle" && value === 0)) {
      throw new InvalidOptionError(
        `${key} must be a ${key === "minIdle" ? "non-negative" : "positive"} integer`,
      );
    }
  }
  if (limits.minIdle > limits.maxSize) {
    throw new InvalidOptionError(`minIdle (${limits.minIdle}) cannot exceed maxSize (${size})`);
  }
  if (warmup !== undefined && typeof warmup !== "string") {
    throw new InvalidOptionError("warmup must be code");
  }
  return {
    limits,
    warmup: warmup ?? "",
    fork: fork ?? Deno.build.os !== "windows",
    // One seed for the pool: its sessions are forks of one template, which has one seed.
    session: { ...session, hashSeed: resolveHashSeed(session) },
  };
}
