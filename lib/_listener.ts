/**
 * Calls the caller's listeners (`onOutput`, `onBackgroundOutput`, `onBackgroundDisplay`) so that a
 * listener that throws never reaches the worker's read loop: it would end the session as a protocol
 * error. The error is written to the console once per listener call, and the session goes on.
 *
 * @module
 */

/** Calls `listener(...args)`; an error it throws is reported on the console, never rethrown. */
export function callListener<A extends unknown[]>(
  name: string,
  listener: (...args: A) => unknown,
  ...args: A
): void {
  try {
    listener(...args);
  } catch (error) {
    console.error(`pyrepl3: the ${name} listener threw (the session goes on):`, error);
  }
}
