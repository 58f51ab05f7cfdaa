/**
 * One running execution: await it for the result, iterate it for events.
 *
 * @module
 */
import type { ExecutionEvent, ExecutionResult } from "./results.ts";

/** The text appended to a stream that went over the output cap. */
export function truncationMarker(omitted: number): string {
  return `\n[pyrepl3: output truncated, ${omitted} more characters were not kept]\n`;
}

/** Collects one stream's text up to a cap, counting what it drops. */
export class CappedText {
  #parts: string[] = [];
  #kept = 0;
  #omitted = 0;

  /** Keeps at most `limit` characters. */
  constructor(readonly limit: number) {}

  /** Adds a chunk, keeping what fits under the cap. */
  append(data: string): void {
    const room = this.limit - this.#kept;
    if (room >= data.length) {
      this.#parts.push(data);
      this.#kept += data.length;
    } else {
      if (room > 0) this.#parts.push(data.slice(0, room));
      this.#kept += Math.max(room, 0);
      this.#omitted += data.length - Math.max(room, 0);
    }
  }

  /** The kept text, with a truncation marker when something was dropped. */
  text(): string {
    const text = this.#parts.join("");
    return this.#omitted > 0 ? text + truncationMarker(this.#omitted) : text;
  }
}

/**
 * A running execution. `await` it for its {@linkcode ExecutionResult}; iterate it with `for await` for
 * its {@linkcode ExecutionEvent}s as they happen (the last event is the result).
 *
 * Events are kept for an iterator only: an execution that is only awaited does not buffer its output
 * events, so printing forever does not grow memory (the result's text is capped separately).
 */
export class Execution implements PromiseLike<ExecutionResult>, AsyncIterable<ExecutionEvent> {
  /** The execution's id, unique within its session. */
  readonly id: string;
  readonly #result: Promise<ExecutionResult>;
  #resolve!: (result: ExecutionResult) => void;
  #reject!: (error: unknown) => void;
  #buffer: ExecutionEvent[] | null = [];
  #wake: (() => void) | null = null;
  #iterating = false;
  #done = false;
  #failure: { error: unknown } | null = null;
  #final: ExecutionResult | null = null;

  /** Created by `Session.execute()`. */
  constructor(id: string) {
    this.id = id;
    this.#result = new Promise<ExecutionResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#result.catch(() => {}); // rejection is reported to whoever awaits or iterates
  }

  /** Settles when the execution has ended, without marking it as awaited (for the session's queue). */
  get settled(): Promise<void> {
    return this.#result.then(() => {}, () => {});
  }

  /** True while a `for await` loop consumes the events. */
  get iterating(): boolean {
    return this.#iterating;
  }

  /** Records an event for an iterator (dropped when nobody iterates). */
  push(event: ExecutionEvent): void {
    if (this.#buffer === null) return;
    this.#buffer.push(event);
    this.#wake?.();
  }

  /** Ends the execution with its result. */
  finish(result: ExecutionResult): void {
    if (this.#done) return;
    this.#done = true;
    this.#final = result;
    this.push({ type: "result", result });
    this.#resolve(result);
    this.#wake?.();
  }

  /** Ends the execution with an error (the session died, was shut down, or the API was misused). */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#failure = { error };
    this.#reject(error);
    this.#wake?.();
  }

  /** Awaits the result. */
  then<T1 = ExecutionResult, T2 = never>(
    onFulfilled?: ((value: ExecutionResult) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    if (!this.#iterating) this.#buffer = null;
    return this.#result.then(onFulfilled, onRejected);
  }

  /** Iterates the events; the last one is `{ type: "result" }`. */
  async *[Symbol.asyncIterator](): AsyncIterator<ExecutionEvent> {
    if (this.#buffer === null) {
      // Iterated after being awaited: its events were not kept; the result still ends the iteration.
      this.#buffer = this.#final ? [{ type: "result", result: this.#final }] : [];
    }
    this.#iterating = true;
    while (true) {
      const buffer = this.#buffer;
      if (buffer.length > 0) {
        const event = buffer.shift()!;
        yield event;
        if (event.type === "result") return;
        continue;
      }
      if (this.#failure) throw this.#failure.error;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}
