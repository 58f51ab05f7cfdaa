/**
 * Small timing helpers for waits that must not hang: a bounded wait, and one deadline shared by the
 * steps of a start.
 *
 * @module
 */
import { WorkerStartError } from "./errors.ts";

/** Resolves with `promise`, or with undefined after `ms`. */
export async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One deadline shared by the steps of a start; once expired, each race fails with WorkerStartError. */
export class Deadline {
  readonly #expired: Promise<never>;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts the clock: `what` completes the message "the Python worker did not ... within N ms". */
  constructor(ms: number, what: string) {
    this.#expired = new Promise<never>((_, reject) => {
      this.#timer = setTimeout(
        () => reject(new WorkerStartError(`the Python worker did not ${what} within ${ms} ms`)),
        ms,
      );
    });
    this.#expired.catch(() => {});
  }

  /** Settles like `promise`, or rejects once the deadline has passed. */
  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#expired]);
  }

  /** Stops the clock (always call it, so the timer does not keep the process alive). */
  clear(): void {
    clearTimeout(this.#timer);
  }
}
