/**
 * Where `record` reads its lines: a person at a terminal (line editing and history through
 * `node:readline`) or a pipe (plain lines, no prompts). Both answer "a line", "the entry was
 * cancelled" (Ctrl-C at the prompt) or "end of input" (Ctrl-D, end of the pipe).
 *
 * @module
 */

import { createInterface } from "node:readline";
import { Buffer } from "node:buffer";
import { Readable, Writable } from "node:stream";
import process from "node:process";
import { join } from "node:path";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import { LineReader } from "./_lines.ts";
import type { CliIO } from "./io.ts";

/** Ctrl-C at a prompt: the entry typed so far is dropped. */
export const CANCELLED: unique symbol = Symbol("cancelled");

/** A line, `CANCELLED` (Ctrl-C), or `null` for end of input (Ctrl-D on an empty line). */
export type ReadLine = string | typeof CANCELLED | null;

/** The lines `record` reads: entries, and replies to the prompts the code shows. */
export interface LineSource {
  /** True when a person types (prompts are shown, Ctrl-C at a prompt cancels). */
  readonly interactive: boolean;
  /** Reads one line after showing `prompt` (not shown when piped). */
  read(prompt: string): Promise<ReadLine>;
  /** Reads one line without echoing it (getpass; the prompt is already on the screen). */
  readSecret(prompt: string): Promise<ReadLine>;
  /** Keeps `line` for Up-arrow recall (and in the history file). */
  remember(line: string): void;
  /**
   * True once input has ended for good (the pipe's end, the terminal gone). At a terminal, Ctrl-D is
   * only a key: it answers one prompt with end of input, and the prompts go on.
   */
  readonly ended: boolean;
  /**
   * A SIGINT while no code runs (from outside, or a Ctrl-C between prompts): cancels the prompt
   * being answered, if any. Returns false when no prompt is being answered.
   */
  interrupt?(): boolean;
  /** Saves the history and lets go of stdin. */
  close(): Promise<void>;
}

/** Lines from a pipe: no prompts, no history. */
export class PipedLines implements LineSource {
  readonly interactive = false;
  readonly #reader: LineReader;
  #ended = false;

  /** Reads lines from `stream`. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = new LineReader(stream);
  }

  /** True once the pipe has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The next line, or null at end of input. */
  async read(_prompt: string): Promise<ReadLine> {
    const line = await this.#reader.readLine();
    if (line === null) this.#ended = true;
    return line;
  }

  /** The next line (a pipe echoes nothing anyway). */
  readSecret(prompt: string): Promise<ReadLine> {
    return this.read(prompt);
  }

  /** Piped lines have no history. */
  remember(_line: string): void {}

  /** Stops reading the pipe. */
  async close(): Promise<void> {
    await this.#reader.cancel();
  }
}

const HISTORY_SIZE = 1000;

/**
 * Where the prompt's history is kept across runs: `$PYREPL3_HISTORY`, else
 * `$XDG_STATE_HOME/pyrepl3/history`, else `~/.pyrepl3_history`; undefined when none can be named.
 */
export function historyPath(
  env: (name: string) => string | undefined = Deno.env.get,
): string | undefined {
  const explicit = env("PYREPL3_HISTORY");
  if (explicit) return explicit;
  const state = env("XDG_STATE_HOME");
  if (state) return join(state, "pyrepl3", "history");
  const home = env("HOME");
  return home ? join(home, ".pyrepl3_history") : undefined;
}

const CTRL_C = 0x03;
/** The keys that end a line at the prompt: Enter (CR or LF), Ctrl-C and Ctrl-D. */
const LINE_ENDS = new Set([0x0d, 0x0a, CTRL_C, 0x04]);

/**
 * A person at a terminal. One reader takes every byte from stdin for the whole recording and keeps
 * what is typed ahead (a pasted block, keys typed while code runs); each prompt is its own
 * `node:readline` interface fed from that store one line at a time, so no typed line is lost when
 * an interface closes. Between prompts the terminal is in cbreak mode: keys are not echoed, and
 * Ctrl-C is a real SIGINT that `record` turns into an interrupt of the running code.
 */
export class TerminalLines implements LineSource {
  readonly interactive = true;
  readonly #io: CliIO;
  readonly #file: string | undefined;
  /** Newest first, as readline keeps it. */
  #history: string[] = [];
  /** Bytes typed and not yet given to a prompt. */
  #typed: Uint8Array = new Uint8Array(0);
  /** The input of the prompt being answered, fed from `#typed`. */
  #feed: Readable | undefined;
  /** True once stdin has ended (the terminal closed): prompts then read end of input. */
  #ended = false;
  /** Ends the prompt being answered, if any. */
  #finish: ((line: ReadLine, echo: string) => void) | undefined;
  readonly #onData = (chunk: Uint8Array) => {
    this.#typed = Buffer.concat([this.#typed, chunk]);
    if (this.#feed === undefined) this.#signalTypedCtrlC();
    this.#pump();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#pump();
  };

  private constructor(io: CliIO, file: string | undefined) {
    this.#io = io;
    this.#file = file;
  }

  /** A terminal source with the history of earlier runs loaded from `file` (when readable). */
  static async open(io: CliIO, file: string | undefined = historyPath()): Promise<TerminalLines> {
    const lines = new TerminalLines(io, file);
    if (file !== undefined) {
      const text = await Deno.readTextFile(file).catch(() => "");
      lines.#history = text.split("\n").filter((l) => l !== "").reverse().slice(0, HISTORY_SIZE);
    }
    // The terminal stays as it is until the first prompt (the file's steps may replay first, and
    // Ctrl-C then stops record with the terminal as it found it).
    process.stdin.on("data", lines.#onData);
    process.stdin.on("end", lines.#onEnd);
    process.stdin.resume();
    return lines;
  }

  /**
   * Reads a line with editing and history; Ctrl-C cancels, Ctrl-D on an empty line ends. The prompt
   * is redrawn at the start of the line, so a prompt the code already wrote is passed in whole.
   */
  read(prompt: string): Promise<ReadLine> {
    return this.#ask(prompt, false);
  }

  /** Reads a line without echoing it; it never enters the history. */
  readSecret(prompt: string): Promise<ReadLine> {
    return this.#ask(prompt, true);
  }

  /** True once stdin has ended (the terminal closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** A SIGINT: cancels the prompt being answered, as Ctrl-C at it does; false when none is. */
  interrupt(): boolean {
    if (this.#finish === undefined) return false;
    this.#finish(CANCELLED, "\n");
    return true;
  }

  /** Keeps `line` for Up-arrow recall (a repeat of the last line is kept once). */
  remember(line: string): void {
    if (line.trim() === "" || this.#history[0] === line) return;
    this.#history.unshift(line);
    this.#history.length = Math.min(this.#history.length, HISTORY_SIZE);
  }

  /** Writes the history file (best effort: a read-only home does not lose the recording). */
  async close(): Promise<void> {
    process.stdin.off("data", this.#onData);
    process.stdin.off("end", this.#onEnd);
    process.stdin.pause();
    this.#mode("normal");
    if (this.#file === undefined) return;
    try {
      const text = [...this.#history].reverse().join("\n") + "\n";
      await writeTextFileAtomic(this.#file, text, { mkdirs: true });
    } catch {
      // The history is a comfort; failing to keep it must not fail the recording.
    }
  }

  /**
   * The terminal's mode: raw at a prompt (readline edits, Ctrl-C is a key), cbreak between prompts
   * (nothing echoed, Ctrl-C a signal), normal when recording ends.
   */
  #mode(mode: "prompt" | "between" | "normal"): void {
    try {
      if (mode === "normal") Deno.stdin.setRaw(false);
      else Deno.stdin.setRaw(true, { cbreak: mode === "between" });
    } catch {
      // stdin is no terminal after all (closed): no mode to set.
    }
  }

  /**
   * A Ctrl-C typed ahead of the next prompt reached the terminal in raw mode, as a key (Enter and
   * Ctrl-C in one burst): it becomes the signal it would have been, so the code that runs now is
   * interrupted, rather than a later prompt cancelled.
   */
  #signalTypedCtrlC(): void {
    if (!this.#typed.includes(CTRL_C)) return;
    this.#typed = this.#typed.filter((byte) => byte !== CTRL_C);
    Deno.kill(Deno.pid, "SIGINT");
  }

  /** Gives the prompt the typed bytes up to and including the next key that may end its line. */
  #pump(): void {
    const feed = this.#feed;
    if (feed === undefined) return;
    if (this.#typed.length === 0) {
      if (this.#ended) feed.push(null); // readline closes: end of input
      return;
    }
    const end = this.#typed.findIndex((byte) => LINE_ENDS.has(byte));
    const take = end === -1 ? this.#typed.length : end + 1;
    feed.push(this.#typed.slice(0, take));
    this.#typed = this.#typed.slice(take);
    // Ctrl-D on a line with text does not end it: go on once readline has seen the key.
    if (end !== -1) setTimeout(() => this.#feed === feed && this.#pump(), 0);
  }

  #ask(prompt: string, secret: boolean): Promise<ReadLine> {
    // A secret's keys are echoed to a sink: the code already showed its prompt, the typed text
    // goes nowhere.
    const output = secret ? new Writable({ write: (_c, _e, done) => done() }) : process.stdout;
    const feed = new Readable({ read() {} });
    return new Promise((resolve) => {
      const rl = createInterface({
        input: feed,
        output,
        terminal: true,
        history: secret ? [] : [...this.#history],
        historySize: secret ? 0 : HISTORY_SIZE,
        removeHistoryDuplicates: true,
      });
      let answered = false;
      const finish = (line: ReadLine, echo: string) => {
        if (answered) return;
        answered = true;
        this.#feed = undefined;
        this.#finish = undefined;
        rl.close();
        // Until the next prompt, keys are neither echoed nor edited (a password typed before
        // getpass's prompt is read stays hidden), while Ctrl-C still sends SIGINT.
        this.#mode("between");
        if (line !== CANCELLED) this.#signalTypedCtrlC();
        if (echo !== "") this.#io.stdout(echo);
        resolve(line);
      };
      rl.on("SIGINT", () => finish(CANCELLED, "\n"));
      rl.on("close", () => finish(null, "\n"));
      this.#finish = finish;
      // Raw before the prompt shows: a Ctrl-C typed as soon as it is seen is a key readline reads.
      this.#mode("prompt");
      rl.question(secret ? "" : prompt, (line) => finish(line, secret ? "\n" : ""));
      this.#feed = feed;
      this.#pump();
    });
  }
}
