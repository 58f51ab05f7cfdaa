/**
 * Where a pool's sessions get their interpreters: one shared template keeper that every session forks
 * from (the default), or, with `fork: false`, a keeper of each session's own, started cold and warmed up.
 *
 * @module
 */
import { PoolError, WarmupError } from "./errors.ts";
import type { Keeper } from "./keeper.ts";
import { type InterpreterSource, startKeeper } from "./keeper_source.ts";
import type { SessionOptions } from "./options.ts";

/** Options of {@linkcode PoolTemplates}. */
export interface PoolTemplatesOptions {
  /** The options every session (and so every keeper) is made with. */
  session: SessionOptions;
  /** Code run once in each template keeper, `""` for none. */
  warmup: string;
  /** Fork every session from one shared template. */
  fork: boolean;
  /** The pool's maxSize (sizes the shared template's spares). */
  maxSize: number;
  /** Whether the pool was shut down: a template started meanwhile is closed, not used. */
  closed: () => boolean;
}

/** The template keepers of a pool, and the interpreter source each session is made with. */
export class PoolTemplates {
  readonly #options: PoolTemplatesOptions;
  #template: Promise<Keeper> | null = null;
  /** Keepers of `fork: false` sessions, so that a session replaced at release closes its own. */
  readonly #ownKeepers = new Map<InterpreterSource, Promise<Keeper>>();

  /** With fork sharing: every session's interpreters come from the one template keeper. */
  readonly #shared: InterpreterSource = {
    ownsKeeper: false,
    keeper: () => this.#templateKeeper(),
  };

  /** Starts nothing yet: the shared template starts on first use. */
  constructor(options: PoolTemplatesOptions) {
    this.#options = options;
  }

  /** The source for a new session: the shared template, or (`fork: false`) a keeper of its own. */
  source(): InterpreterSource {
    return this.#options.fork ? this.#shared : this.#ownTemplate();
  }

  /** A session made from `source` is gone for good: closes its own keeper, if it had one. */
  async retire(source: InterpreterSource): Promise<void> {
    if (source === this.#shared) return;
    const keeper = this.#ownKeepers.get(source);
    this.#ownKeepers.delete(source);
    await (await keeper?.catch(() => null))?.close();
  }

  /** Starts the shared template (with fork sharing; each own keeper starts with its session). */
  async start(): Promise<void> {
    if (this.#options.fork) await this.#templateKeeper();
  }

  /** The shared template keeper, started (again) when none runs. */
  async #templateKeeper(): Promise<Keeper> {
    const current = this.#template ? await this.#template.catch(() => null) : null;
    if (current && !current.closed) return current;
    if (this.#options.closed()) throw new PoolError("the pool was shut down");
    const starting = this.#startTemplate();
    this.#template = starting;
    const keeper = await starting;
    if (this.#options.closed()) {
      // shutdown() ran while the template started: it must not outlive the pool.
      await keeper.close();
      throw new PoolError("the pool was shut down");
    }
    return keeper;
  }

  /** Closes every session's own keeper, then the shared template. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#ownKeepers.keys()].map((s) => this.retire(s)));
    const template = this.#template;
    this.#template = null;
    if (template) await (await template.catch(() => null))?.close();
  }

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

  /** Starts a keeper and runs the warmup in it (within startTimeoutMs), so forks start warm. */
  async #startTemplate(): Promise<Keeper> {
    const { session, fork, maxSize, warmup } = this.#options;
    try {
      return await startKeeper(session, {
        // Releases renew sessions from spares: keep enough coming for a burst of them.
        spares: fork ? Math.min(maxSize, 3) : 1,
        warmup: warmup || undefined,
      });
    } catch (error) {
      if (!(error instanceof WarmupError)) throw error;
      throw new PoolError(error.message, { cause: error });
    }
  }
}
