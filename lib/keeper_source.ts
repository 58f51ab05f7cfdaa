/**
 * Where a session's interpreters come from: a keeper of its own, started on first use, or a pool's
 * shared template.
 *
 * @module
 */
import { Keeper } from "./keeper.ts";
import { keeperOptions } from "./options.ts";
import type { SessionOptions } from "./options.ts";

/** Where a session's interpreters come from: its own keeper, or a pool's shared one. */
export interface InterpreterSource {
  /** The keeper to take interpreters from. */
  keeper(): Promise<Keeper>;
  /** Whether the session owns the keeper (and closes it at shutdown). */
  readonly ownsKeeper: boolean;
}

/** Starts a keeper for `options`, with the warmup run in it when given (sessions and pools alike). */
export function startKeeper(
  options: SessionOptions,
  extra: { spares?: number; warmup?: string } = {},
): Promise<Keeper> {
  return Keeper.start({ ...keeperOptions(options), ...extra });
}

/** A session's own keeper, started (again) when it has none that runs. */
export function ownKeeperSource(options: SessionOptions): InterpreterSource {
  return { ownsKeeper: true, keeper: () => startKeeper(options) };
}
