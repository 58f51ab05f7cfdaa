/**
 * One forked interpreter, the TypeScript twin of runner/interpreter.py: its socket, set-up, typed
 * requests, pid and process group, and one `ended` promise that merges "the connection closed" with
 * "the keeper reported the exit".
 *
 * @module
 */
import { Connection, type ConnectionEvents, type Reply } from "./connection.ts";
import type { ControlRequest, InterpreterRequest, WireLimits } from "./protocol.ts";
import { describeStatus, type Keeper, type ProcessExit, type Spare } from "./keeper.ts";
import { SessionDeadError, WorkerStartError } from "./errors.ts";

/** How long to wait for the keeper's report of how the interpreter ended, after its socket closed. */
const EXIT_REPORT_MS = 2000;

/** What a session asks of a fresh interpreter before it runs code. */
export interface InterpreterSetup {
  /** Working directory. */
  cwd?: string;
  /** Variables added to its environment. */
  env?: Record<string, string>;
  /** Resource limits. */
  limits?: WireLimits;
  /** How long to wait for a ready spare. Default 30000 ms. */
  timeoutMs?: number;
}

/** How an interpreter ended: in words, and the exit the keeper reported (null when unknown). */
export interface InterpreterEnd {
  /** Why, in words (`exit code 3`, `killed by SIGSEGV`, `protocol error: ...`). */
  reason: string;
  /** The reported exit, when there was one. */
  exit: ProcessExit | null;
  /** True when `kill()` ended it (a deliberate end, not a death). */
  killed: boolean;
}

/** One interpreter process serving one session. */
export class Interpreter {
  /** Its Python version. */
  readonly python: string;
  /** Its process group: the pid it was forked with, stable across rollbacks. */
  readonly pgid: number;
  /** Settles once, when the interpreter is gone for any reason. */
  readonly ended: Promise<InterpreterEnd>;
  readonly #keeper: Keeper;
  readonly #connection: Connection;
  readonly #label: string;
  #pid: number;
  #exit: ProcessExit | null = null;
  #exitReported: (() => void) | null = null;
  #end!: (end: InterpreterEnd) => void;
  #done = false;
  #faultReport: string | undefined;

  private constructor(
    keeper: Keeper,
    spare: Spare,
    events: ConnectionEvents,
    label: string,
  ) {
    this.#keeper = keeper;
    this.#label = label;
    this.python = spare.python;
    this.pgid = spare.pid;
    this.#pid = spare.pid;
    this.ended = new Promise((resolve) => (this.#end = resolve));
    this.#connection = new Connection(spare.connection, spare.reader, {
      ...events,
      result: (message) => {
        if (message.pid) this.#pid = message.pid;
        events.result(message);
      },
    });
    const unsubscribe = keeper.onExit((exit) => this.#onExit(exit));
    this.ended.then(unsubscribe);
    this.#connection.ended.then((failure) => this.#onConnectionEnded(failure));
  }

  /** Takes a spare from `keeper` and sets it up; `label` names the session in errors. */
  static async take(
    keeper: Keeper,
    setup: InterpreterSetup,
    events: ConnectionEvents,
    label: string,
  ): Promise<Interpreter> {
    const { timeoutMs, ...request } = setup;
    const spare = await keeper.takeSpare(timeoutMs);
    const interpreter = new Interpreter(keeper, spare, events, label);
    try {
      await interpreter.request({ op: "setup", ...request });
    } catch (cause) {
      interpreter.kill(new WorkerStartError("set-up failed"));
      throw new WorkerStartError(
        `could not set up the interpreter (cwd ${JSON.stringify(setup.cwd ?? ".")}): ${
          (cause as Error).message
        }`,
        { cause },
      );
    }
    return interpreter;
  }

  /** The pid of the process now running user code (it changes when a transaction rolls back). */
  get pid(): number {
    return this.#pid;
  }

  /** True until the interpreter has ended or is ending. */
  get alive(): boolean {
    return !this.#done;
  }

  /** Sends an execution, an interrupt or an input reply; rejects with a typed error once ended. */
  send(message: InterpreterRequest): Promise<void> {
    return this.#connection.send(message);
  }

  /** Sends a control request and resolves with its typed reply. */
  async request<R extends ControlRequest>(
    request: R,
    blob?: Uint8Array,
  ): Promise<Reply<R["op"]>> {
    const reply = await this.#connection.request(request, blob);
    const pid = (reply as { pid?: number }).pid;
    if (pid) this.#pid = pid;
    return reply;
  }

  /** Sends SIGINT to the running code (the whole process group). */
  interrupt(): void {
    this.#keeper.killGroup(this.pgid, "SIGINT");
  }

  /** Ends the interpreter at once: pending and later requests reject with `reason`. */
  kill(reason: Error): void {
    this.#connection.close(reason);
    this.#keeper.killGroup(this.pgid);
    this.#finish({ reason: reason.message, exit: null, killed: true });
  }

  /** Notes a file this interpreter is writing, removed by its keeper if Deno dies first (Keeper). */
  noteUnfinishedFile(path: string): Disposable {
    return this.#keeper.noteUnfinishedFile(path);
  }

  /**
   * What this interpreter wrote as it died (faulthandler's traceback, a fatal error), and the
   * keeper's own stderr when the keeper died too.
   */
  stderrTail(): string {
    const own = this.#faultReport ?? readTail(this.#keeper.faultFile(this.pgid));
    return this.#keeper.closed ? own + this.#keeper.stderrTail() : own;
  }

  #onExit(exit: ProcessExit): void {
    if (exit.pid !== this.#pid && exit.pid !== this.#keeper.pid) return;
    this.#exit = exit;
    this.#exitReported?.();
    // Kill the savepoints and any children: the socket then closes and the read loop ends.
    this.#keeper.killGroup(this.pgid);
  }

  async #onConnectionEnded(failure: Error | null): Promise<void> {
    if (this.#done) return;
    if (failure) {
      const reason = `protocol error: ${failure.message}`;
      this.#connection.close(new SessionDeadError(this.#label, reason));
      this.#keeper.killGroup(this.pgid);
      this.#finish({ reason, exit: null, killed: false });
      return;
    }
    // Requests fail from now on with a typed error; wait (briefly) for the keeper to say how it ended.
    this.#connection.close(new SessionDeadError(this.#label, "the interpreter exited"));
    if (!this.#exit) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, EXIT_REPORT_MS);
        this.#exitReported = resolve;
      });
      clearTimeout(timer);
    }
    this.#keeper.killGroup(this.pgid);
    const exit = this.#exit;
    this.#finish({
      reason: exit ? describeStatus(exit) : "the connection to the worker closed",
      exit,
      killed: false,
    });
  }

  #finish(end: InterpreterEnd): void {
    if (this.#done) return;
    this.#done = true;
    const faultFile = this.#keeper.faultFile(this.pgid);
    this.#faultReport = readTail(faultFile);
    try {
      Deno.removeSync(faultFile);
    } catch {
      // Never created (a spare killed early), or the socket folder is gone already.
    }
    this.#exitReported?.();
    this.#end(end);
  }
}

/** How much of an interpreter's fatal-error report a crash result keeps. */
const FAULT_TAIL_BYTES = 16 * 1024;

/** The last `FAULT_TAIL_BYTES` of `path` as text; empty when it cannot be read. */
function readTail(path: string): string {
  try {
    using file = Deno.openSync(path);
    const size = file.statSync().size;
    file.seekSync(Math.max(0, size - FAULT_TAIL_BYTES), Deno.SeekMode.Start);
    const bytes = new Uint8Array(Math.min(size, FAULT_TAIL_BYTES));
    let read = 0;
    while (read < bytes.length) {
      const n = file.readSync(bytes.subarray(read));
      if (n === null) break;
      read += n;
    }
    return new TextDecoder().decode(bytes.subarray(0, read));
  } catch {
    return "";
  }
}
