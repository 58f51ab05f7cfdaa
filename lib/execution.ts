/**
 * One execution as its caller holds it: await it (or `.then`/`.catch`/`.finally`) for the result,
 * iterate it for events. Only the session that made it can feed or end it.
 *
 * @module
 */
import type { ExecutionEvent, ExecutionResult } from "./results.ts";

/** The session's side of an execution: feed it events, end it. Never handed to callers. */
export interface ExecutionControl {
  /** Records an event for an iterator (dropped when nobody iterates). */
  push(event: ExecutionEvent): void;
  /** Ends the execution with its result (later calls do nothing). */
  finish(result: ExecutionResult): void;
  /** Ends the execution with an error (later calls do nothing). */
  fail(error: unknown): void;
  /** True while a `for await` loop consumes the events. */
  readonly iterating: boolean;
  /** Settles when the execution has ended, without marking it as awaited. */
  readonly settled: Promise<void>;
}

/** Reaches an execution's private side; set by the class's static block, used by Control only. */
let internals: {
  push(execution: Execution, event: ExecutionEvent): void;
  finish(execution: Execution, result: ExecutionResult): void;
  fail(execution: Execution, error: unknown): void;
  iterating(execution: Execution): boolean;
  result(execution: Execution): Promise<ExecutionResult>;
};

/** The control of one execution: one small object per execution, no closures (the hot path). */
class Control implements ExecutionControl {
  #settled: Promise<void> | null = null;
  constructor(readonly execution: Execution) {}
  push(event: ExecutionEvent): void {
    internals.push(this.execution, event);
  }
  finish(result: ExecutionResult): void {
    internals.finish(this.execution, result);
  }
  fail(error: unknown): void {
    internals.fail(this.execution, error);
  }
  get iterating(): boolean {
    return internals.iterating(this.execution);
  }
  get settled(): Promise<void> {
    return this.#settled ??= internals.result(this.execution).then(() => {}, () => {});
  }
}

/**
 * A running execution. `await` it for its {@linkcode ExecutionResult}, or use `.then`, `.catch` and
 * `.finally` as on any promise; iterate it with `for await` for its {@linkcode ExecutionEvent}s as they
 * happen (the last event is the result).
 *
 * Events are kept for an iterator only: an execution that is only awaited does not buffer its output
 * events, so printing forever does not grow memory (the result's text is capped separately).
 */
export class Execution implements Promise<ExecutionResult>, AsyncIterable<ExecutionEvent> {
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

  static {
    internals = {
      push: (execution, event) => execution.#push(event),
      finish: (execution, result) => execution.#finish(result),
      fail: (execution, error) => execution.#fail(error),
      iterating: (execution) => execution.#iterating,
      result: (execution) => execution.#result,
    };
  }

  private constructor(id: string) {
    this.id = id;
    this.#result = new Promise<ExecutionResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#result.catch(() => {}); // rejection is reported to whoever awaits or iterates
  }

  /** `"Execution"`, as promises say `"Promise"`. */
  get [Symbol.toStringTag](): string {
    return "Execution";
  }

  /** Awaits the result. */
  then<T1 = ExecutionResult, T2 = never>(
    onFulfilled?: ((value: ExecutionResult) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    if (!this.#iterating) this.#buffer = null;
    return this.#result.then(onFulfilled, onRejected);
  }

  /** Handles a failure (the session died, was shut down, or the API was misused). */
  catch<T = never>(
    onRejected?: ((reason: unknown) => T | PromiseLike<T>) | null,
  ): Promise<ExecutionResult | T> {
    return this.then(undefined, onRejected);
  }

  /** Runs `onFinally` when the execution has ended either way. */
  finally(onFinally?: (() => void) | null): Promise<ExecutionResult> {
    return this.then().finally(onFinally);
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

  #push(event: ExecutionEvent): void {
    if (this.#buffer === null) return;
    this.#buffer.push(event);
    this.#wake?.();
  }

  #finish(result: ExecutionResult): void {
    if (this.#done) return;
    this.#done = true;
    this.#final = result;
    this.#push({ type: "result", result });
    this.#resolve(result);
    this.#wake?.();
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#failure = { error };
    this.#reject(error);
    this.#wake?.();
  }
}

/** Makes an execution and the control its session keeps (internal: not exported by mod.ts). */
export function createExecution(id: string): { execution: Execution; control: ExecutionControl } {
  const execution = new (Execution as unknown as new (id: string) => Execution)(id);
  return { execution, control: new Control(execution) };
}
