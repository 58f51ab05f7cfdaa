/**
 * The shapes a caller sees: options of a session and an execution, the events an execution
 * yields and the result it resolves to.
 *
 * @module
 */

/** How an execution's changes to the session are kept or taken back. */
export type TransactionPolicy =
  | "commit_always"
  | "rollback_on_failure"
  | "commit_on_success"
  | "rollback_always"
  | "explicit";

/** How an execution ended. */
export type ExecutionStatus = "ok" | "error" | "interrupted" | "timeout" | "crashed";

/** A Python exception, reported as data. */
export interface ExecutionError {
  /** The exception's class name, e.g. `ZeroDivisionError`. */
  type: string;
  /** `str(exception)`. */
  message: string;
  /** The formatted traceback, user frames only (cells are named `<cell N>`). */
  traceback: string;
  /** For a SyntaxError: the 1-based line of the error in the cell. */
  line?: number;
  /** For a SyntaxError: the 1-based column of the error in the cell. */
  column?: number;
}

/** What a transaction did with an execution's changes. */
export interface TransactionOutcome {
  /** The policy the execution ran under (an alias is reported by its canonical name). */
  policy: Exclude<TransactionPolicy, "commit_on_success">;
  /**
   * `committed`: the changes stay; `rolled_back`: the session is as before; `pending`: explicit, open;
   * `rollback_failed`: a rollback was due but its savepoint process was lost, so the changes stay.
   */
  outcome: "committed" | "rolled_back" | "pending" | "rollback_failed";
  /** True when threads started by user code were running and did not survive the rollback. */
  threadsLost?: boolean;
}

/** Why a worker process ended during an execution. */
export interface CrashInfo {
  /** The exit code, when the worker exited. */
  exitCode: number | null;
  /** The signal name, when the worker was killed by a signal (e.g. `SIGKILL`). */
  signal: string | null;
  /** The last lines the worker wrote to stderr before it died. */
  stderrTail: string;
}

/** The outcome of one execution. */
export interface ExecutionResult {
  /** How the execution ended. */
  status: ExecutionStatus;
  /** The converted value of a trailing expression (undefined when none, None, or not convertible). */
  value?: unknown;
  /** `repr()` of a trailing expression's value (undefined when none or None). */
  repr?: string;
  /** Everything the execution wrote to stdout (capped by `maxOutputChars`). */
  stdout: string;
  /** Everything the execution wrote to stderr (capped by `maxOutputChars`). */
  stderr: string;
  /** The exception, for status `error` (and `interrupted`/`timeout`: KeyboardInterrupt). */
  error?: ExecutionError;
  /** The session's execution counter after this execution (like `In [N]`). */
  executionCount: number;
  /** Wall time from sending the code to receiving the result. */
  durationMs: number;
  /** What the transaction did; absent under `commit_always`. */
  transaction?: TransactionOutcome;
  /** For `crashed`, and for `timeout` when the worker had to be killed. */
  crash?: CrashInfo;
  /** True when the session's state was lost (crash, or a timeout that needed a kill). */
  stateLost?: boolean;
}

/** An event of a running execution, in the order it happened. */
export type ExecutionEvent =
  | { type: "output"; stream: "stdout" | "stderr"; data: string }
  | { type: "input"; id: string; prompt: string; password: boolean }
  | { type: "result"; result: ExecutionResult };

/** A scripted reply to an input prompt: text, or `null` for end of input (EOFError). */
export type InputReply = string | null;

/** Options of one execution. */
export interface ExecuteOptions {
  /** Replies to input prompts, in order; when they run out, the execution fails naming the prompt. */
  inputs?: InputReply[];
  /** Answers each input request; overrides `inputs`. */
  onInput?: (request: { id: string; prompt: string; password: boolean }) =>
    | InputReply
    | Promise<InputReply>;
  /** Called with each chunk of output as it arrives. */
  onOutput?: (stream: "stdout" | "stderr", data: string) => void;
  /** Interrupt the code after this many milliseconds (status `timeout`). Default: none. */
  timeoutMs?: number;
  /** After a timeout's interrupt, how long to wait before killing the worker. Default 2000. */
  graceMs?: number;
  /** How the execution's changes are kept. Default `commit_always`. */
  transaction?: TransactionPolicy;
  /** Cancels the execution like `interrupt()`. */
  signal?: AbortSignal;
}

/** Options of a session. */
export interface SessionOptions {
  /** The Python interpreter to run (a name on PATH or a path). Default `python3`. */
  python?: string;
  /** The worker's working directory. Default: the current directory. */
  cwd?: string;
  /** Environment variables for the worker, added to (or overriding) the current environment. */
  env?: Record<string, string>;
  /** The most characters of stdout (and of stderr) a result keeps; streaming goes on. Default 16 Mi. */
  maxOutputChars?: number;
  /** How long `start()` may take before it fails (a pool's warmup included). Default 30000. */
  startTimeoutMs?: number;
  /**
   * Which of Deno's environment variables the worker inherits: all (true, the default), none (false:
   * only `env`), or the names listed. `env` is added on top either way.
   */
  inheritEnv?: boolean | string[];
  /** Resource limits of each interpreter; a cell that exceeds one fails and the session survives. */
  limits?: ResourceLimits;
  /**
   * The secret that signs and verifies checkpoints. Default: the `PYREPL3_CHECKPOINT_KEY` environment
   * variable, else a per-user key file created on first use (see README, "Trust model").
   */
  checkpointKey?: string | Uint8Array;
}

/** Per-interpreter resource limits (`resource.setrlimit` in the worker). */
export interface ResourceLimits {
  /** Address-space limit in bytes (RLIMIT_AS): allocations beyond it raise MemoryError. */
  memoryBytes?: number;
  /** CPU seconds (RLIMIT_CPU) for the interpreter's whole life. */
  cpuSeconds?: number;
  /** The most open file descriptors (RLIMIT_NOFILE). */
  openFiles?: number;
}

/** Options of `Session.restore()`. */
export interface RestoreOptions {
  /**
   * Restore a checkpoint whose signature is missing or made with another key. Restoring unpickles:
   * only trust checkpoints from a source you trust. Default false.
   */
  trust?: boolean;
}
