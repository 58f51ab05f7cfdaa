/**
 * The state of the one execution a session is running: its collected output, how its input prompts are
 * answered, its timers, and the result it builds.
 *
 * @module
 */
import { CappedText } from "./_capped_text.ts";
import { capBundle, DisplayCollector } from "./_displays.ts";
import { callListener } from "./_listener.ts";
import type { ClearOutputMessage, DisplayMessage } from "./protocol.ts";
import type { ExecutionControl } from "./execution.ts";
import type { ExecutionResult, InputReply, MimeBundle } from "./results.ts";
import type { ExecuteOptions } from "./options.ts";

/** How an input request is answered: a reply, an error raised in the code, or later by inputResponse(). */
export type InputRoute = { reply: InputReply } | { error: string } | { wait: true };

/** One execution in flight on a session. */
export class RunningExecution {
  /** The execution's id (its results and input ids carry it). */
  readonly id: string;
  /** The session's side of the caller's handle. */
  readonly execution: ExecutionControl;
  /** The options the execution was started with. */
  readonly options: ExecuteOptions;
  /** `performance.now()` when it was sent. */
  readonly started = performance.now();
  /** Input request ids that inputResponse() may answer. */
  readonly waitingInputs = new Set<string>();
  /** Set when the deadline passed and the code was interrupted for it. */
  timedOut = false;
  /** Set when interrupt() (or the abort signal) was used. */
  interrupted = false;
  /** Set when a timeout had to kill the worker: the replacement interpreter being started. */
  recovery?: Promise<void>;
  /** Set once the exec frame was written: an interrupt then also needs a signal. */
  sent = false;
  readonly #stdout: CappedText;
  readonly #stderr: CappedText;
  readonly #inputs: InputReply[] | undefined;
  readonly #displays: DisplayCollector;
  readonly #timers: ReturnType<typeof setTimeout>[] = [];

  /** Starts tracking `execution`; each stream keeps at most `maxOutputChars` characters. */
  constructor(
    id: string,
    execution: ExecutionControl,
    options: ExecuteOptions,
    maxOutputChars: number,
  ) {
    this.id = id;
    this.execution = execution;
    this.options = options;
    this.#stdout = new CappedText(maxOutputChars);
    this.#stderr = new CappedText(maxOutputChars);
    this.#displays = new DisplayCollector(maxOutputChars);
    this.#inputs = options.inputs ? [...options.inputs] : undefined;
  }

  /** Collects a chunk of output and passes it to `onOutput` and any iterator. */
  output(stream: "stdout" | "stderr", data: string, background = false): void {
    (stream === "stdout" ? this.#stdout : this.#stderr).append(data);
    if (this.options.onOutput) callListener("onOutput", this.options.onOutput, stream, data);
    this.execution.push(
      background ? { type: "output", stream, data, background } : { type: "output", stream, data },
    );
  }

  /** The trailing value's bundle, within `maxOutputChars` (as `capBundle` keeps it). */
  valueData(data: MimeBundle): { data: MimeBundle; omitted?: Record<string, number> } {
    const { size: _size, ...kept } = capBundle(data, this.#displays.budget);
    return kept;
  }

  /** Collects a rich output (or a clear_output) and passes it to any iterator. */
  display(message: DisplayMessage | ClearOutputMessage, background = false): void {
    this.execution.push(this.#displays.add(message, background));
  }

  /**
   * Decides how an input request is answered: `onInput`, then the scripted `inputs`, then the caller
   * iterating the execution (inputResponse). With none of them, the code gets an error naming the prompt,
   * so an input nobody can answer never hangs.
   */
  input(id: string, prompt: string, password: boolean): InputRoute | Promise<InputRoute> {
    const request = { id, prompt, password };
    const { onInput, inputs } = this.options;
    if (onInput) {
      this.waitingInputs.add(id);
      this.execution.push({ type: "input", ...request });
      return Promise.resolve()
        .then(() => onInput(request))
        .then(
          (reply): InputRoute => ({ reply }),
          (error): InputRoute => ({ error: `onInput failed: ${(error as Error).message}` }),
        );
    }
    if (this.#inputs) {
      this.execution.push({ type: "input", ...request });
      if (this.#inputs.length > 0) return { reply: this.#inputs.shift()! };
      return {
        error: `input prompt ${JSON.stringify(prompt)} has no reply: all ${
          inputs!.length
        } scripted input(s) were used`,
      };
    }
    if (this.execution.iterating) {
      this.waitingInputs.add(id);
      this.execution.push({ type: "input", ...request });
      return { wait: true };
    }
    return {
      error: `input prompt ${JSON.stringify(prompt)} has no reply: no inputs were given ` +
        "(pass `inputs`, `onInput`, or iterate the execution and call inputResponse())",
    };
  }

  /** Runs `fn` after `ms`; cleared when the execution ends. */
  after(ms: number, fn: () => void): void {
    this.#timers.push(setTimeout(fn, ms));
  }

  /** A result with the collected output; the caller fills in the rest. */
  result(status: ExecutionResult["status"], executionCount: number): ExecutionResult {
    return {
      status,
      stdout: this.#stdout.text(),
      stderr: this.#stderr.text(),
      displays: this.#displays.list(),
      executionCount,
      durationMs: performance.now() - this.started,
    };
  }

  /** The last lines of the execution's stderr and of `workerStderr`, for a crash report. */
  stderrTail(workerStderr: string, lines = 20): string {
    return (this.#stderr.text() + workerStderr).trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Ends the execution with `result` and clears its timers. */
  finish(result: ExecutionResult): void {
    this.clearTimers();
    this.execution.finish(result);
  }

  /** Clears the deadline timers. */
  clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
  }
}
