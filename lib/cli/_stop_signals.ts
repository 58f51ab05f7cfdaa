/**
 * Ctrl-C (SIGINT) and SIGTERM during a run. The first stops the run gently: no scenario starts
 * any more, running cells are interrupted, sessions end and the reports gathered so far are
 * written, then the CLI exits with 130 (SIGINT) or 143 (SIGTERM). A second one exits at once.
 *
 * @module
 */

import { removeUnfinishedWrites } from "../_atomic_write.ts";

/** The signals that stop a run. */
export type StopSignal = "SIGINT" | "SIGTERM";

const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM"];

/** The exit code after a stop by `signal`: 128 + its number, as shells report it. */
export function exitCodeForSignal(signal: StopSignal): number {
  return signal === "SIGINT" ? 130 : 143;
}

/**
 * Listens for SIGINT and SIGTERM while it lives; `using` it removes the listeners at the end.
 *
 * @example
 * ```ts
 * import { StopSignals } from "./_stop_signals.ts";
 * {
 *   using stops = new StopSignals(() => {});
 *   if (stops.signal.aborted) throw new Error("not stopped yet");
 * } // the listeners are gone here
 * ```
 */
export class StopSignals implements Disposable {
  readonly #controller = new AbortController();
  readonly #listeners: [StopSignal, () => void][] = [];
  #received: StopSignal | undefined;

  /** Starts listening; `onStop` is called once, with the first signal. */
  constructor(onStop: (signal: StopSignal) => void) {
    for (const name of STOP_SIGNALS) {
      const listener = () => {
        if (this.#received !== undefined) {
          // Asked twice: the user does not want to wait for the sessions to end.
          removeUnfinishedWrites();
          Deno.exit(exitCodeForSignal(name));
        }
        this.#received = name;
        onStop(name);
        this.#controller.abort(name);
      };
      try {
        Deno.addSignalListener(name, listener);
        this.#listeners.push([name, listener]);
      } catch {
        // Windows has no SIGTERM listener; Ctrl-C still works there.
      }
    }
  }

  /** Aborted (with the signal's name as reason) when the first signal came. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The first signal received, if any. */
  get received(): StopSignal | undefined {
    return this.#received;
  }

  /** Removes the listeners: signals act as usual again. */
  [Symbol.dispose](): void {
    for (const [name, listener] of this.#listeners.splice(0)) {
      Deno.removeSignalListener(name, listener);
    }
  }
}
