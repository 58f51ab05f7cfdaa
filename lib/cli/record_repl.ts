/**
 * The prompt of `pyrepl3 record`: reads entries as Python's interactive console does (completeness
 * is decided by the interpreter, through `codeop`), runs each in the session, echoes what came
 * back, and turns it into a recorded step.
 *
 * @module
 */

import { SessionDeadError } from "../errors.ts";
import type { ExecutionResult } from "../results.ts";
import { entryStatus, type Session } from "../session.ts";
import type { CliIO } from "./io.ts";
import { CANCELLED, type LineSource } from "./record_lines.ts";
import { parsePromptCommand, PROMPT_HELP } from "./record_commands.ts";
import {
  type RecordedControl,
  type RecordedInput,
  type RecordedStep,
  stepFromResult,
} from "./record_file.ts";
import type { WrittenExpectation } from "../scenario/expectation.ts";

/** Entries that end the recording, as in the Python REPL. */
const QUIT = new Set(["exit", "quit", "exit()", "quit()"]);

/** How `runPrompt()` runs entries. */
export interface PromptOptions {
  /**
   * Timeout of each entry in ms (the one its replay will have). An entry that times out is
   * recorded with this `timeout:`, so its replay times out at the same limit.
   */
  timeoutMs?: number;
  /** Names the environment variable a getpass reply is read from at run time. */
  secretName?: (prompt: string) => string;
  /**
   * The variables the file's steps already read replies from: a new reply takes another name
   * (`..._2`) unless the variable holds that same reply.
   */
  takenSecrets?: ReadonlySet<string>;
  /** The checkpoints the file's steps take: `:restore` names one of them or a recorded one. */
  fileCheckpoints?: ReadonlySet<string>;
  /**
   * Runs a checkpoint or restore step (`:checkpoint NAME`, `:restore NAME`) as a scenario run
   * does; resolves with why it failed, or undefined.
   */
  control?: (step: RecordedControl) => Promise<string | undefined>;
}

/** What a recording produced. */
export interface Recording {
  /** The steps to append, in order. */
  steps: (RecordedStep | RecordedControl)[];
  /** The replies typed to getpass prompts, by the environment variable the steps read them from. */
  secrets: Map<string, string>;
}

/** The environment variable a getpass reply is read from: `PYREPL3_SECRET_PASSWORD` for "Password: ". */
export function secretName(prompt: string): string {
  const word = prompt.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return `PYREPL3_SECRET${word === "" ? "" : `_${word}`}`;
}

/**
 * Runs the prompt until `exit`/`quit`/end of input, running each entry in `session`; returns the
 * steps recorded. Ctrl-C while an entry runs interrupts it (a SIGINT listener is installed while
 * the prompt runs on a terminal).
 */
export async function runPrompt(
  session: Session,
  lines: LineSource,
  io: CliIO,
  options: PromptOptions = {},
): Promise<Recording> {
  const recording: Recording = { steps: [], secrets: new Map() };
  let running: { abort(): void } | undefined;
  // Ctrl-C while code runs interrupts it; at a prompt, or while Python decides whether the entry
  // is whole, it cancels the entry (as in python3).
  const interrupted = { pending: false };
  const onSigint = () => {
    if (running !== undefined) running.abort();
    else if (!lines.interrupt?.()) interrupted.pending = true;
  };
  if (lines.interactive) Deno.addSignalListener("SIGINT", onSigint);
  let rollback = false;
  try {
    while (true) {
      const code = await readEntry(session, lines, interrupted).catch(endedSession(io));
      if (code === CANCELLED) io.stdout("KeyboardInterrupt\n");
      if (code === CANCELLED || code === "") continue;
      if (code === null || QUIT.has(code.trim())) break;
      const command = parsePromptCommand(code);
      if (command?.kind === "quit") break;
      if (command !== undefined) {
        if (command.kind === "rollback") {
          rollback = true;
          io.stdout("the next entry runs under rollback_always: its changes are undone\n");
        } else {
          // Ctrl-C during :checkpoint or :restore (pickling runs user code) interrupts it.
          running = { abort: () => void session.interrupt() };
          await runCommand(command, recording, io, options).finally(() => running = undefined);
        }
        continue;
      }
      const entry = new RunningEntry(session, lines, io, { ...options, recording, rollback });
      rollback = false;
      running = entry;
      const step = await entry.run(code).catch(endedSession(io)).finally(() => running = undefined);
      if (step === null) break;
      if (step !== undefined) recording.steps.push(step);
      if (entry.ended) break;
    }
  } finally {
    if (lines.interactive) Deno.removeSignalListener("SIGINT", onSigint);
  }
  return recording;
}

/**
 * The interpreter died between entries (killed, out of memory): says so, and the recording ends
 * (null) with the steps recorded so far.
 */
function endedSession(io: CliIO): (error: unknown) => null {
  return (error) => {
    if (!(error instanceof SessionDeadError)) throw error;
    io.stderr("pyrepl3: the interpreter died between entries; the recording ends here\n");
    return null;
  };
}

/** Runs a `:` command other than `:quit` and `:rollback`. */
async function runCommand(
  command: Exclude<ReturnType<typeof parsePromptCommand>, undefined>,
  recording: Recording,
  io: CliIO,
  options: PromptOptions,
): Promise<void> {
  switch (command.kind) {
    case "help":
      io.stdout(PROMPT_HELP);
      return;
    case "bad":
      io.stderr(`${command.message}\n`);
      return;
    case "undo": {
      const dropped = recording.steps.pop();
      io.stdout(
        dropped === undefined
          ? "nothing recorded to undo\n"
          : "dropped the last step (what it did stays in this session)\n",
      );
      return;
    }
    case "checkpoint":
    case "restore": {
      const step = command.kind === "checkpoint"
        ? { checkpoint: command.name }
        : { restore: command.name };
      const taken = new Set(options.fileCheckpoints);
      for (const s of recording.steps) if ("checkpoint" in s) taken.add(s.checkpoint);
      // A checkpoint the session still has but no written step takes (:undo dropped it) would
      // make the file invalid.
      const failure = command.kind === "restore" && !taken.has(command.name)
        ? `no step of the file takes checkpoint ${JSON.stringify(command.name)} (:checkpoint it)`
        : options.control === undefined
        ? "checkpoints are not available here"
        : await options.control(step);
      if (failure !== undefined) io.stderr(`:${command.kind} ${command.name}: ${failure}\n`);
      else recording.steps.push(step);
      return;
    }
    default:
      return;
  }
}

/**
 * Reads one entry: `>>> `, then `... ` while Python says it is incomplete. Returns "" for an
 * empty line, CANCELLED for Ctrl-C and null at end of input.
 */
async function readEntry(
  session: Session,
  lines: LineSource,
  interrupted: { pending: boolean },
): Promise<string | null | typeof CANCELLED> {
  const typed: string[] = [];
  const cancelled = () => {
    if (!interrupted.pending) return false;
    interrupted.pending = false;
    return true;
  };
  while (true) {
    if (cancelled()) return CANCELLED;
    const line = await lines.read(typed.length === 0 ? ">>> " : "... ");
    if (line === CANCELLED) return CANCELLED;
    // End of input inside a block runs what was typed (a pipe's last block needs no blank line).
    if (line === null) return typed.length === 0 ? null : trimBlank(typed);
    lines.remember(line);
    if (typed.length === 0 && line.trim() === "") return "";
    if (typed.length === 0 && line.trimStart().startsWith(":")) return line.trim();
    typed.push(line);
    const status = await entryStatus(session, typed.join("\n"));
    if (cancelled()) return CANCELLED; // Ctrl-C right after Enter: the entry does not run
    if (status !== "incomplete") return trimBlank(typed);
  }
}

function trimBlank(typed: string[]): string {
  const kept = [...typed];
  while (kept.length > 1 && kept[kept.length - 1].trim() === "") kept.pop();
  return kept.join("\n");
}

/** One entry running: its output echoed, its prompts answered, its interrupt timed. */
class RunningEntry {
  /** Input ended while the code was reading from it: record this entry, then stop. */
  ended = false;
  readonly #session: Session;
  readonly #lines: LineSource;
  readonly #io: CliIO;
  readonly #options: PromptOptions & { recording: Recording; rollback: boolean };
  readonly #abort = new AbortController();
  readonly #inputs: RecordedInput[] = [];
  #started = 0;
  /** Time spent waiting for the person to answer input prompts: a replay answers at once. */
  #answeringMs = 0;
  #interruptedAfterMs: number | undefined;
  /** The Ctrl-Cs that interrupted the code: a replay interrupts it once (`interrupt_after`). */
  #interrupts = 0;
  /** Ctrl-C answered an input prompt: a replay has no reply to interrupt there. */
  #cancelledInput = false;
  /** What stdout shows after its last newline: an input() prompt, redrawn by the line editor. */
  #tail = "";
  /**
   * The entry's timeout, on its own clock: the time a person takes to answer input() prompts is
   * not the code's (a replay answers at once), so it does not count, as the session's would.
   */
  readonly #clock: EntryClock;

  constructor(
    session: Session,
    lines: LineSource,
    io: CliIO,
    options: PromptOptions & { recording: Recording; rollback: boolean },
  ) {
    this.#session = session;
    this.#lines = lines;
    this.#io = io;
    this.#options = options;
    this.#clock = new EntryClock(options.timeoutMs, session);
  }

  /**
   * Ctrl-C: interrupts the code, remembering when the first one came (the step replays the
   * interrupt then). Each Ctrl-C raises KeyboardInterrupt again, as in python3.
   */
  abort(): void {
    this.#interrupts++;
    this.#interruptedAfterMs ??= performance.now() - this.#started - this.#answeringMs;
    if (this.#abort.signal.aborted) void this.#session.interrupt();
    else this.#abort.abort();
  }

  async run(code: string): Promise<RecordedStep | undefined> {
    this.#started = performance.now();
    this.#clock.start();
    const execution = this.#session.execute(code, {
      signal: this.#abort.signal,
      ...(this.#options.rollback ? { transaction: "rollback_always" as const } : {}),
      onOutput: (stream, data) => {
        if (stream === "stdout") {
          this.#io.stdout(data);
          this.#tail = (this.#tail + data).split("\n").pop()!;
        } else this.#io.stderr(data);
      },
      onInput: ({ prompt, password }) => this.#answer(prompt, password),
    });
    let result: ExecutionResult;
    try {
      result = await execution.finally(() => this.#clock.stop());
    } catch (error) {
      if (!this.#clock.restarted) throw error;
      this.ended = true;
      this.#io.stderr(
        "pyrepl3: not recorded: the code ignored the interrupt of its timeout; its interpreter " +
          "was restarted, its state is lost; the recording ends here\n",
      );
      return undefined;
    }
    // Interrupted by the entry's own timeout: the status a run gives it.
    if (this.#clock.expired && result.status === "interrupted") {
      result = { ...result, status: "timeout" };
    }
    this.#show(result);
    return this.#step(code, result);
  }

  #show(result: ExecutionResult): void {
    if (this.#tail !== "") this.#io.stdout("\n");
    if (result.status === "ok" && result.repr !== undefined) this.#io.stdout(result.repr + "\n");
    if (result.error !== undefined) {
      this.#io.stderr(result.error.traceback || `${result.error.type}\n`);
    }
  }

  async #answer(prompt: string, password: boolean): Promise<string | null> {
    const shown = this.#tail;
    const asked = performance.now();
    this.#clock.pause();
    const reply = password ? await this.#lines.readSecret(shown) : await this.#lines.read(shown);
    this.#clock.start();
    this.#answeringMs += performance.now() - asked;
    this.#tail = "";
    if (reply === CANCELLED) {
      this.#cancelledInput = true;
      this.abort();
      return null;
    }
    if (reply === null) {
      // A pipe's end ends the recording; at a terminal Ctrl-D is EOFError in the code, as in
      // python3, and the prompt goes on.
      if (this.#lines.ended) this.ended = true;
      this.#inputs.push({ eof: true });
      return null;
    }
    if (password) {
      const name = this.#secretVariable((this.#options.secretName ?? secretName)(prompt), reply);
      this.#options.recording.secrets.set(name, reply);
      this.#inputs.push({ prompt, reply_env: name });
    } else this.#inputs.push(prompt === "" ? reply : { prompt, reply });
    return reply;
  }

  /**
   * Leaves out of `expect` what shows a password typed at a getpass prompt (`secret`, `print(pw)`),
   * or read by an earlier step of the file from its variable: it would be written in clear. The step still runs; that part of it is not checked.
   */
  #withoutSecrets(expect: WrittenExpectation): void {
    // The replies typed now, and those the file's earlier steps read from their variables.
    const earlier = [...this.#options.takenSecrets ?? []].map((name) => Deno.env.get(name) ?? "");
    const secrets = [...this.#options.recording.secrets.values(), ...earlier].filter((s) =>
      s !== ""
    );
    if (secrets.length === 0) return;
    const shown = (value: unknown) => {
      const text = JSON.stringify(value, (_k, v) => typeof v === "bigint" ? String(v) : v);
      return secrets.some((secret) => text.includes(JSON.stringify(secret).slice(1, -1)));
    };
    const left = (["stdout", "stderr", "value", "repr"] as const).filter((key) =>
      key in expect && shown(expect[key])
    );
    for (const key of left) delete expect[key];
    if (left.length > 0) {
      this.#io.stderr(
        `pyrepl3: left out of the step's expectations (${left.join(", ")}): they show a password\n`,
      );
    }
  }

  /**
   * `base`, or `base_2`, `base_3`...: the first variable that holds no other reply (two passwords
   * typed at the same prompt each get their own).
   */
  #secretVariable(base: string, reply: string): string {
    const { recording, takenSecrets } = this.#options;
    for (let n = 1;; n++) {
      const name = n === 1 ? base : `${base}_${n}`;
      const held = recording.secrets.get(name) ??
        (takenSecrets?.has(name) ? Deno.env.get(name) ?? null : undefined);
      if (held === undefined || held === reply) return name;
    }
  }

  /**
   * The step that replays this entry, or undefined (said why) when no replay can: the interpreter
   * died (then the recording ends), Ctrl-C answered an input prompt, or several Ctrl-Cs came.
   */
  #step(code: string, result: ExecutionResult): RecordedStep | undefined {
    const skipped = (why: string) => {
      this.#io.stderr(`pyrepl3: not recorded: ${why}\n`);
      return undefined;
    };
    if (result.status === "crashed" || result.stateLost) {
      this.ended = true;
      const crash = result.crash;
      const how = crash === undefined
        ? ""
        : crash.signal
        ? ` (${crash.signal})`
        : crash.exitCode === null
        ? ""
        : ` (exit code ${crash.exitCode})`;
      return skipped(`the interpreter died${how}, its state is lost; the recording ends here`);
    }
    const kept = "; what it did stays in this session";
    if (this.#cancelledInput) {
      return skipped(`Ctrl-C answered an input prompt, which a replay cannot do${kept}`);
    }
    if (this.#interrupts > 1) {
      return skipped(
        `Ctrl-C was pressed ${this.#interrupts} times while it ran; a replay interrupts once` +
          ` (interrupt_after)${kept}`,
      );
    }
    const { exec, inputs, expect } = stepFromResult(code, result, this.#inputs);
    if (expect !== undefined) this.#withoutSecrets(expect);
    const timeoutMs = this.#options.timeoutMs;
    return {
      exec,
      ...(inputs ? { inputs } : {}),
      ...(this.#options.rollback ? { transaction: "rollback_always" as const } : {}),
      ...(result.status === "timeout" && timeoutMs !== undefined
        ? { timeout: durationText(timeoutMs) }
        : {}),
      // Replayed, the interrupt comes at the time measured from the start, a little later (x1.2
      // + 300 ms, to 100 ms), so that what the code did before it (output, names) is done again
      // on a busier machine too. Code that caught the KeyboardInterrupt is interrupted too.
      ...(this.#interruptedAfterMs === undefined ? {} : {
        interrupt_after: durationText(
          Math.ceil((this.#interruptedAfterMs * 1.2 + 300) / 100) * 100,
        ),
      }),
      ...(expect && Object.keys(expect).length > 0 ? { expect } : {}),
    };
  }
}

/**
 * An entry's timeout that runs only while the code does (paused while a person answers a prompt).
 * When it expires the code is interrupted, as a session's timeout does; code that ignores the
 * interrupt for 2 s gets its interpreter restarted (its state is lost, and the recording ends).
 */
class EntryClock {
  /** True once the time ran out. */
  expired = false;
  /** True once the interpreter was restarted: the code ignored the interrupt. */
  restarted = false;
  readonly #session: Session;
  #leftMs: number | undefined;
  #since = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeoutMs: number | undefined, session: Session) {
    this.#leftMs = timeoutMs;
    this.#session = session;
  }

  /** Runs the clock (again). */
  start(): void {
    if (this.#leftMs === undefined || this.expired || this.#timer !== undefined) return;
    this.#since = performance.now();
    this.#timer = setTimeout(() => {
      this.expired = true;
      void this.#session.interrupt();
      this.#timer = setTimeout(() => {
        this.restarted = true;
        this.#session.restart().catch(() => {});
      }, GRACE_MS);
    }, this.#leftMs);
  }

  /** Stops the clock, keeping the time left. */
  pause(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.expired) {
      this.#leftMs = Math.max(0, this.#leftMs! - (performance.now() - this.#since));
    }
  }

  /** Stops the clock for good. */
  stop(): void {
    this.pause();
    this.#leftMs = undefined;
  }
}

/** How long code may ignore its timeout's interrupt before its interpreter is restarted. */
const GRACE_MS = 2000;

/** Milliseconds as a scenario file writes a duration: `800ms`, `1.5s`. */
function durationText(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}
