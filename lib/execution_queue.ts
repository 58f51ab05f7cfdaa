/**
 * A session's executions: the queue they run in, one at a time and in call order, their timeouts and
 * interrupts, the routing of their output and input, and the one place a result is built.
 *
 * @module
 */
import { UnknownInputError } from "./errors.ts";
import { truncationMarker } from "./_capped_text.ts";
import { createExecution, type Execution } from "./execution.ts";
import type { Interpreter } from "./interpreter.ts";
import type { ConnectionEvents } from "./connection.ts";
import type { ClearOutputMessage, DisplayMessage, ResultMessage } from "./protocol.ts";
import { displayEvent, mimeValueSize } from "./_displays.ts";
import { callListener } from "./_listener.ts";
import { type InputRoute, RunningExecution } from "./running_execution.ts";
import type { BackgroundDisplayEvent, CrashInfo, ExecutionResult, InputReply } from "./results.ts";
import type { ExecuteOptions } from "./options.ts";
import { normalizePolicy } from "./transactions.ts";

const DEFAULT_GRACE_MS = 2000;
/** The most rich outputs kept between two executions (each small display is one frame). */
const MAX_BACKGROUND_DISPLAYS = 10_000;

/** What the queue needs of its session. */
export interface QueueHost {
  /** The interpreter to run on; throws the session's typed error when it cannot run code. */
  usable(): Interpreter;
  /** The interpreter now, if any (for replies to input). */
  current(): Interpreter | null;
  /** A timeout had to kill the interpreter: replace it (resolves when a new one is ready or failed). */
  replaceAfterKill(): Promise<void>;
}

/** The queue of one session's executions and the counters their results update. */
export class ExecutionQueue {
  /** The session's execution counter, as the worker last reported it. */
  executionCount = 0;
  /** True while an explicit transaction is open. */
  openTransaction = false;
  /** How many executions ended with status `timeout`. */
  timeouts = 0;
  readonly #host: QueueHost;
  readonly #maxOutputChars: number;
  #tail: Promise<unknown> = Promise.resolve();
  /** Executions not yet finished, in call order: the first one is running or next to run. */
  #executions: RunningExecution[] = [];
  #nextId = 0;
  /** Output written while no execution ran, for the next execution (without a session listener). */
  readonly #background: BackgroundOutput;
  /** Displays shown while no execution ran, for the next execution (without a session listener). */
  readonly #backgroundDisplays: BackgroundDisplays;
  readonly #listeners: BackgroundListeners;

  /**
   * A queue whose executions run on `host`'s interpreter; results keep `maxOutputChars` per stream.
   * Output and displays shown while no execution runs go to the listeners, or else to the next
   * execution.
   */
  constructor(host: QueueHost, maxOutputChars: number, listeners: BackgroundListeners = {}) {
    this.#host = host;
    this.#maxOutputChars = maxOutputChars;
    this.#listeners = listeners;
    this.#background = new BackgroundOutput(maxOutputChars);
    this.#backgroundDisplays = new BackgroundDisplays(maxOutputChars);
  }

  /** Runs `task` after everything queued before it, whether that succeeded or not. */
  enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(task, task);
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Settles when everything queued so far has. */
  drained(): Promise<void> {
    return this.#tail.then(() => {});
  }

  /** Queues `code` and returns the caller's handle on it. */
  submit(code: string, options: ExecuteOptions): Execution {
    const { execution, control } = createExecution(`e${++this.#nextId}`);
    const running = new RunningExecution(execution.id, control, options, this.#maxOutputChars);
    this.#executions.push(running);
    if (options.signal) {
      const onAbort = () => this.#interrupt(running);
      if (options.signal.aborted) onAbort();
      options.signal.addEventListener("abort", onAbort, { once: true });
      control.settled.then(() => options.signal?.removeEventListener("abort", onAbort));
    }
    this.enqueue(() => this.#run(running, code, options)).catch((error) => control.fail(error));
    return execution;
  }

  /** Interrupts the running execution, or the next one as soon as its cell starts. */
  interrupt(): void {
    const running = this.#executions[0];
    if (running) this.#interrupt(running);
  }

  /** Answers an input request of the running execution. */
  async inputResponse(id: string, reply: InputReply): Promise<void> {
    const running = this.#executions[0];
    if (!running || !running.waitingInputs.has(id)) throw new UnknownInputError(id);
    running.waitingInputs.delete(id);
    await this.#host.usable().send({ t: "input_reply", inputId: id, text: reply });
  }

  /** The handlers for the interpreter's events. */
  readonly events: ConnectionEvents = {
    output: (stream, data, id) => {
      const running = this.#executions[0];
      if (id !== null) {
        if (running?.sent) running.output(stream, data);
      } else if (this.#listeners.onBackgroundOutput) {
        callListener("onBackgroundOutput", this.#listeners.onBackgroundOutput, stream, data);
      } else if (running?.sent) {
        running.output(stream, data, true);
      } else {
        this.#background.add(stream, data);
      }
    },
    input: (inputId, prompt, password) => this.#onInput(inputId, prompt, password),
    result: (message) => {
      const running = this.#executions[0];
      if (running?.sent && running.id === message.id) this.#settle(running, { message });
    },
    display: (message) => {
      const running = this.#executions[0];
      if (running?.sent && (message.id === null || message.id === running.id)) {
        // Shown while no execution ran (a thread) lands in the one running now, if any.
        running.display(message);
      } else if (message.id !== null) {
        // A late frame of an execution that already ended: its result is out, nothing to add it to.
      } else if (this.#listeners.onBackgroundDisplay) {
        const event = displayEvent(message, true);
        callListener("onBackgroundDisplay", this.#listeners.onBackgroundDisplay, event);
      } else {
        this.#backgroundDisplays.add(message);
      }
    },
  };

  /** Fails the execution that was sent to an interpreter that is going away. */
  failRunning(reason: Error): void {
    const running = this.#executions[0];
    if (!running?.sent) return;
    this.#forget(running);
    running.execution.fail(reason);
  }

  /** The interpreter died: the execution it ran ends `crashed` (or `timeout`), its state lost. */
  crashRunning(crash: (running: RunningExecution) => CrashInfo): void {
    const running = this.#executions[0];
    if (!running?.sent) return;
    this.#settle(running, {
      status: running.timedOut ? "timeout" : "crashed",
      crash: crash(running),
    });
  }

  #forget(running: RunningExecution): void {
    running.clearTimers();
    const index = this.#executions.indexOf(running);
    if (index >= 0) this.#executions.splice(index, 1);
  }

  async #run(running: RunningExecution, code: string, options: ExecuteOptions): Promise<void> {
    try {
      const interpreter = this.#host.usable();
      if (options.timeoutMs !== undefined) {
        this.#armTimeout(running, options.timeoutMs, options.graceMs);
      }
      running.sent = true;
      for (const [stream, data] of this.#background.take()) running.output(stream, data, true);
      const { messages, dropped } = this.#backgroundDisplays.take();
      for (const message of messages) running.display(message, true);
      if (dropped > 0) {
        running.output(
          "stderr",
          `[pyrepl3: ${dropped} rich outputs shown while no execution ran were not kept]\n`,
          true,
        );
      }
      const transaction = normalizePolicy(options.transaction);
      await interpreter.send({
        t: "exec",
        id: running.id,
        code,
        transaction,
        ...(options.doctest ? { doctest: options.doctest } : {}),
      });
      if (running.interrupted) this.#interrupt(running);
      await running.execution.settled;
      await running.recovery;
    } finally {
      this.#forget(running);
    }
  }

  #interrupt(running: RunningExecution): void {
    running.interrupted = true;
    const interpreter = this.#host.current();
    if (!running.sent || !interpreter || this.#executions[0] !== running) return;
    // The frame first (written), then the signal: a signal that lands before the cell starts is
    // dropped by the worker, but by then the frame is readable, and the worker checks for it as the
    // cell starts.
    interpreter.send({ t: "interrupt", id: running.id }).then(
      () => interpreter.interrupt(),
      () => interpreter.interrupt(),
    );
  }

  #armTimeout(running: RunningExecution, timeoutMs: number, graceMs = DEFAULT_GRACE_MS): void {
    running.after(timeoutMs, () => {
      running.timedOut = true;
      this.#interrupt(running);
      running.after(graceMs, () => {
        if (this.#executions[0] !== running) return;
        this.#settle(running, {
          status: "timeout",
          crash: { exitCode: null, signal: "SIGKILL", stderrTail: "" },
        });
        // Same tick as #settle: #run awaits this before the next queued call starts.
        running.recovery = this.#host.replaceAfterKill();
      });
    });
  }

  /** The one place a result is built: from the worker's result, a timeout kill, or a death. */
  #settle(
    running: RunningExecution,
    ending: { message: ResultMessage } | { status: "timeout" | "crashed"; crash: CrashInfo },
  ): void {
    let result: ExecutionResult;
    if ("message" in ending) {
      const message = ending.message;
      const status = message.status === "interrupted" && running.timedOut
        ? "timeout"
        : message.status;
      result = running.result(status, message.executionCount);
      if (message.hasValue) result.value = message.value;
      if (message.repr !== undefined) {
        result.repr = message.reprOmitted
          ? message.repr + truncationMarker(message.reprOmitted)
          : message.repr;
        const { data, omitted } = running.valueData({
          "text/plain": message.repr,
          ...message.data,
        });
        result.data = data;
        if (omitted) result.dataOmitted = omitted;
        if (message.reprOmitted) {
          // Cut by the worker already (to maxOutputChars, which the bundle's budget is too).
          result.reprOmitted = message.reprOmitted;
          data["text/plain"] = result.repr;
          result.dataOmitted = { ...omitted, "text/plain": message.reprOmitted };
        }
      }
      if (message.error) result.error = message.error;
      if (message.doctest) result.doctest = message.doctest;
      if (message.transaction) {
        result.transaction = message.transaction;
        if (message.transaction.outcome === "pending") this.openTransaction = true;
      }
      if (status === "timeout") result.stateLost = false;
      this.executionCount = message.executionCount;
    } else {
      result = running.result(ending.status, this.executionCount);
      result.crash = ending.crash;
      result.stateLost = true;
    }
    if (result.status === "timeout") this.timeouts++;
    this.#forget(running); // at once: interrupt() must reach the next execution, not this one
    running.finish(result);
  }

  #onInput(inputId: string, prompt: string, password: boolean): void {
    const running = this.#executions[0];
    if (!running?.sent) return;
    const answer = (route: InputRoute) => {
      if (this.#executions[0] !== running || "wait" in route) return;
      running.waitingInputs.delete(inputId);
      const reply = "reply" in route
        ? { t: "input_reply" as const, inputId, text: route.reply }
        : { t: "input_reply" as const, inputId, text: null, error: route.error };
      this.#host.current()?.send(reply).catch(() => {});
    };
    const route = running.input(inputId, prompt, password);
    if (route instanceof Promise) route.then(answer);
    else answer(route);
  }
}

/** Background output waiting for the next execution, capped at `limit` characters (oldest kept). */
class BackgroundOutput {
  #parts: ["stdout" | "stderr", string][] = [];
  #size = 0;
  #dropped = 0;

  constructor(readonly limit: number) {}

  add(stream: "stdout" | "stderr", data: string): void {
    const room = this.limit - this.#size;
    if (room <= 0) {
      this.#dropped += data.length;
      return;
    }
    this.#parts.push([stream, data.slice(0, room)]);
    this.#size += Math.min(room, data.length);
    this.#dropped += Math.max(0, data.length - room);
  }

  take(): ["stdout" | "stderr", string][] {
    const parts = this.#parts;
    if (this.#dropped > 0) parts.push(["stderr", truncationMarker(this.#dropped)]);
    this.#parts = [];
    this.#size = 0;
    this.#dropped = 0;
    return parts;
  }
}

/** Where output and displays shown while no execution runs go, instead of the next execution. */
export interface BackgroundListeners {
  /** Receives output written while no execution runs. */
  onBackgroundOutput?: (stream: "stdout" | "stderr", data: string) => void;
  /** Receives rich outputs (and clear_output calls) shown while no execution runs. */
  onBackgroundDisplay?: (event: BackgroundDisplayEvent) => void;
}

const NO_DISPLAYS = Object.freeze({ messages: [], dropped: 0 });

/** Display frames shown while no execution ran, up to `limit` characters/bytes of data. */
class BackgroundDisplays {
  #messages: (DisplayMessage | ClearOutputMessage)[] = [];
  #size = 0;
  #dropped = 0;

  constructor(readonly limit: number) {}

  add(message: DisplayMessage | ClearOutputMessage): void {
    const size = message.t === "display"
      ? Object.values(message.data).reduce((sum: number, value) => sum + mimeValueSize(value), 0)
      : 0;
    if (this.#size + size > this.limit || this.#messages.length >= MAX_BACKGROUND_DISPLAYS) {
      this.#dropped++;
      return;
    }
    this.#messages.push(message);
    this.#size += size;
  }

  take(): { messages: (DisplayMessage | ClearOutputMessage)[]; dropped: number } {
    if (this.#messages.length === 0 && this.#dropped === 0) return NO_DISPLAYS; // every execution asks
    const taken = { messages: this.#messages, dropped: this.#dropped };
    this.#messages = [];
    this.#size = 0;
    this.#dropped = 0;
    return taken;
  }
}
