/**
 * Validation of option objects at the API boundary: a wrong option is a clear InvalidOptionError,
 * never a confusing failure later.
 *
 * @module
 */
import { InvalidOptionError } from "./errors.ts";
import type {
  BackgroundDisplayEvent,
  DoctestRequest,
  InputReply,
  TransactionPolicy,
} from "./results.ts";
import type { KeeperOptions } from "./keeper.ts";
import type { WireDisplay } from "./protocol.ts";
import { isTransactionPolicy, TRANSACTION_POLICIES } from "./transactions.ts";

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
  /**
   * Run the code as a doctest example: compiled in `single` mode by doctest's own runner, its output
   * compared with `want` by doctest's `OutputChecker` in the interpreter; the verdict is the result's
   * `doctest` (and status `error` when it failed, so `rollback_on_failure` rolls a failed example back).
   */
  doctest?: DoctestRequest;
}

/** Options of a session. */
export interface SessionOptions {
  /** The Python interpreter to run (a name on PATH or a path). Default `python3`. */
  python?: string;
  /** The worker's working directory. Default: the current directory. */
  cwd?: string;
  /** Environment variables for the worker, added to (or overriding) the current environment. */
  env?: Record<string, string>;
  /**
   * The most characters of stdout (and of stderr), and of a trailing value's repr, a result keeps;
   * streaming goes on. Default 16 Mi.
   */
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
  /**
   * The interpreter's `PYTHONHASHSEED`, so that set and dict-of-set orders are the same run after run.
   * A number from 0 to 4294967295, or `"random"` (one is picked; `session.hashSeed` says which).
   * Default: `env.PYTHONHASHSEED` when given, else 0.
   */
  hashSeed?: number | "random";
  /**
   * Receives output written while no execution runs (a background thread, a child process). Without
   * it, that output is delivered at the start of the next execution's output, marked `background`.
   */
  onBackgroundOutput?: (stream: "stdout" | "stderr", data: string) => void;
  /**
   * Receives rich outputs shown (and `clear_output()` calls made) while no execution runs: a thread
   * calling `display()` or updating a display handle. Without it, they are delivered at the start of
   * the next execution (events and `result.displays`), marked `background`.
   */
  onBackgroundDisplay?: (event: BackgroundDisplayEvent) => void;
  /**
   * The pixel size `[width, height]` of matplotlib figures shown as rich output (`plt.show()`, a
   * figure left open at the end of a cell). Default `[640, 480]`.
   */
  figureSize?: [number, number];
  /** The DPI figures are drawn at (matplotlib's `figure.dpi`; text scales with it). Default 100. */
  figureDpi?: number;
  /**
   * The formats each figure is sent in: `"png"` (`image/png`) and/or `"svg"` (`image/svg+xml`).
   * Default `["png"]`.
   */
  figureFormats?: ("png" | "svg")[];
}

/** Per-interpreter resource limits (`resource.setrlimit` in the worker). */
export interface ResourceLimits {
  /** Address-space limit in bytes (RLIMIT_AS): allocations beyond it raise MemoryError. */
  memoryBytes?: number;
  /**
   * CPU seconds each execution may use (RLIMIT_CPU, moved before every cell): more raises
   * CpuTimeLimitExceeded in the cell. Code stuck in a C call sees it when it returns to Python.
   */
  cpuSeconds?: number;
  /** The most open file descriptors (RLIMIT_NOFILE). */
  openFiles?: number;
}

/** Options of `Session.checkpoint()`. */
export interface CheckpointOptions {
  /**
   * Have the worker write the checkpoint to this file (conventionally ending in `.pyrepl3ckpt`) instead
   * of sending its bytes to Deno: written to a temporary file beside it, signed, flushed to disk and
   * renamed over it, so the file is whole or absent. A relative path is resolved against Deno's working
   * directory. The returned Checkpoint has `path` set and no `data`.
   */
  path?: string;
  /**
   * Interrupt the checkpoint after this many milliseconds (pickling runs user code, which may hang).
   * Default 300000.
   */
  timeoutMs?: number;
  /**
   * After that interrupt, how long to wait before the interpreter is killed and replaced (its state
   * is then lost). Default 2000.
   */
  graceMs?: number;
}

/** Throws InvalidOptionError for a bad checkpoint option. */
export function validateCheckpointOptions(options: CheckpointOptions): void {
  checkDeadlineOptions("checkpoint", options, ["path"]);
  if (options.path !== undefined && (typeof options.path !== "string" || options.path === "")) {
    throw new InvalidOptionError("checkpoint option path must be a non-empty string");
  }
}

/** The checks of an options object of a call with `timeoutMs` and `graceMs` (and `others`). */
function checkDeadlineOptions(
  what: string,
  options: { timeoutMs?: number; graceMs?: number },
  others: string[],
): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError(`${what} options must be an object`);
  }
  checkKeys(what, options, [...others, "timeoutMs", "graceMs"]);
  checkDelay("timeoutMs", options.timeoutMs);
  checkDelay("graceMs", options.graceMs, true);
}

/** Options of `Session.restore()`. */
export interface RestoreOptions {
  /**
   * Restore a checkpoint whose signature is missing or made with another key. Restoring unpickles:
   * only trust checkpoints from a source you trust. Default false.
   */
  trust?: boolean;
  /**
   * Interrupt the restore after this many milliseconds (unpickling runs the code the checkpoint names:
   * `__setstate__`, `__reduce__`, which may hang). Default 300000.
   */
  timeoutMs?: number;
  /**
   * After that interrupt, how long to wait before the interpreter is killed and replaced (its state
   * is then lost). Default 2000.
   */
  graceMs?: number;
}

/** Throws InvalidOptionError for a bad restore option. */
export function validateRestoreOptions(options: RestoreOptions): void {
  checkDeadlineOptions("restore", options, ["trust"]);
  // A truthy non-boolean ("false", 0 is falsy but "0" is not) must never switch signature checks off.
  if (options.trust !== undefined && typeof options.trust !== "boolean") {
    throw new InvalidOptionError(
      `restore option trust must be true or false, got ${
        JSON.stringify(options.trust) ?? String(options.trust)
      }`,
    );
  }
}

/** The longest delay a timer can wait (setTimeout turns anything longer into 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const SESSION_KEYS = [
  "python",
  "cwd",
  "env",
  "maxOutputChars",
  "startTimeoutMs",
  "inheritEnv",
  "limits",
  "checkpointKey",
  "hashSeed",
  "onBackgroundOutput",
  "onBackgroundDisplay",
  "figureSize",
  "figureDpi",
  "figureFormats",
];
const LIMIT_KEYS = ["memoryBytes", "cpuSeconds", "openFiles"];
const EXECUTE_KEYS = [
  "inputs",
  "onInput",
  "onOutput",
  "timeoutMs",
  "graceMs",
  "transaction",
  "signal",
  "doctest",
];

function checkKeys(what: string, options: object, known: string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(
        `unknown ${what} option ${JSON.stringify(key)}; known: ${known.join(", ")}`,
      );
    }
  }
}

function checkPositive(what: string, value: unknown, allowZero = false): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)
  ) {
    throw new InvalidOptionError(
      `${what} must be a positive number of milliseconds, got ${String(value)}`,
    );
  }
}

/** A duration that a timer will wait for: positive and at most MAX_TIMER_MS (about 24.8 days). */
function checkDelay(what: string, value: unknown, allowZero = false): void {
  checkPositive(what, value, allowZero);
  if (typeof value === "number" && value > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      `${what} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`,
    );
  }
}

function checkLimits(limits: ResourceLimits | undefined): void {
  if (limits === undefined) return;
  if (typeof limits !== "object" || limits === null) {
    throw new InvalidOptionError("limits must be an object");
  }
  checkKeys("limits", limits, LIMIT_KEYS);
  for (const [key, value] of Object.entries(limits)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new InvalidOptionError(`limits.${key} must be a positive integer, got ${value}`);
    }
  }
}

/** Throws InvalidOptionError for a bad session option. */
export function validateSessionOptions(options: SessionOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError("Session options must be an object");
  }
  checkKeys("Session", options, SESSION_KEYS);
  for (const key of ["python", "cwd"] as const) {
    if (options[key] !== undefined && (typeof options[key] !== "string" || options[key] === "")) {
      throw new InvalidOptionError(`${key} must be a non-empty string`);
    }
  }
  if (options.env !== undefined) {
    if (typeof options.env !== "object" || options.env === null) {
      throw new InvalidOptionError("env must be an object of strings");
    }
    for (const [key, value] of Object.entries(options.env)) {
      if (typeof value !== "string") throw new InvalidOptionError(`env.${key} must be a string`);
    }
  }
  checkPositive("maxOutputChars", options.maxOutputChars);
  checkDelay("startTimeoutMs", options.startTimeoutMs);
  const inherit = options.inheritEnv;
  if (
    inherit !== undefined && typeof inherit !== "boolean" &&
    !(Array.isArray(inherit) && inherit.every((name) => typeof name === "string"))
  ) {
    throw new InvalidOptionError("inheritEnv must be true, false or an array of variable names");
  }
  checkLimits(options.limits);
  for (const name of ["onBackgroundOutput", "onBackgroundDisplay"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new InvalidOptionError(`${name} must be a function`);
    }
  }
  checkFigureOptions(options);
  const seed = options.hashSeed;
  if (
    seed !== undefined && seed !== "random" &&
    !(Number.isInteger(seed) && seed >= 0 && seed <= MAX_HASH_SEED)
  ) {
    throw new InvalidOptionError(
      `hashSeed must be an integer from 0 to ${MAX_HASH_SEED} or "random", got ${String(seed)}`,
    );
  }
  const key = options.checkpointKey;
  if (
    key !== undefined && !(typeof key === "string" && key !== "") && !(key instanceof Uint8Array)
  ) {
    throw new InvalidOptionError("checkpointKey must be a non-empty string or a Uint8Array");
  }
}

const MAX_FIGURE_PIXELS = 20000;
/** Beyond ~50000 matplotlib's Agg renderer fails every figure ("In RendererAgg: Out of memory"). */
const MAX_FIGURE_DPI = 10000;

function checkFigureOptions(options: SessionOptions): void {
  const size = options.figureSize;
  if (
    size !== undefined &&
    !(Array.isArray(size) && size.length === 2 &&
      size.every((n) => Number.isInteger(n) && n > 0 && n <= MAX_FIGURE_PIXELS))
  ) {
    throw new InvalidOptionError(
      `figureSize must be [width, height] in pixels, integers from 1 to ${MAX_FIGURE_PIXELS}, got ${
        JSON.stringify(size)
      }`,
    );
  }
  const dpi = options.figureDpi;
  if (
    dpi !== undefined &&
    !(typeof dpi === "number" && Number.isFinite(dpi) && dpi > 0 && dpi <= MAX_FIGURE_DPI)
  ) {
    throw new InvalidOptionError(
      `figureDpi must be a positive number up to ${MAX_FIGURE_DPI}, got ${
        typeof dpi === "string" ? JSON.stringify(dpi) : String(dpi)
      }`,
    );
  }
  const formats = options.figureFormats;
  if (
    formats !== undefined &&
    !(Array.isArray(formats) && formats.length > 0 &&
      formats.every((f) => f === "png" || f === "svg"))
  ) {
    throw new InvalidOptionError(
      `figureFormats must be a non-empty list of "png" and "svg", got ${JSON.stringify(formats)}`,
    );
  }
}

/** The worker's share of the figure options, or undefined when all are the defaults. */
export function displaySetup(options: SessionOptions): WireDisplay | undefined {
  const { figureSize, figureDpi, figureFormats } = options;
  if (!figureSize && figureDpi === undefined && !figureFormats) return undefined;
  return {
    ...(figureSize ? { width: figureSize[0], height: figureSize[1] } : {}),
    ...(figureDpi !== undefined ? { dpi: figureDpi } : {}),
    ...(figureFormats ? { formats: [...figureFormats] } : {}),
  };
}

/** The largest PYTHONHASHSEED Python accepts. */
export const MAX_HASH_SEED = 4294967295;

/** The hash seed `options` ask for, as a number: `"random"` picks one, the default is 0. */
export function resolveHashSeed(options: SessionOptions): number {
  const seed = options.hashSeed ?? options.env?.PYTHONHASHSEED ?? 0;
  if (seed === "random") return crypto.getRandomValues(new Uint32Array(1))[0];
  return Number(seed);
}

/** The keeper's share of a session's options (the hash seed travels in its environment). */
export function keeperOptions(options: SessionOptions): KeeperOptions {
  return {
    python: options.python,
    cwd: options.cwd,
    env: { ...options.env, PYTHONHASHSEED: String(resolveHashSeed(options)) },
    inheritEnv: options.inheritEnv,
    startTimeoutMs: options.startTimeoutMs,
  };
}

/** Throws InvalidOptionError for a bad execute option. */
export function validateExecuteOptions(options: ExecuteOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError("execute options must be an object");
  }
  if (Object.keys(options).length === 0) return; // the common call: nothing to check
  checkKeys("execute", options, EXECUTE_KEYS);
  if (options.transaction !== undefined && !isTransactionPolicy(options.transaction)) {
    throw new InvalidOptionError(
      `unknown transaction policy ${JSON.stringify(options.transaction)}; use one of ${
        TRANSACTION_POLICIES.join(", ")
      }`,
    );
  }
  checkDelay("timeoutMs", options.timeoutMs);
  checkDelay("graceMs", options.graceMs, true);
  if (options.inputs !== undefined) {
    if (!Array.isArray(options.inputs)) throw new InvalidOptionError("inputs must be an array");
    for (const reply of options.inputs) {
      if (reply !== null && typeof reply !== "string") {
        throw new InvalidOptionError(
          "each entry of inputs must be a string or null (end of input)",
        );
      }
    }
  }
  for (const key of ["onInput", "onOutput"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "function") {
      throw new InvalidOptionError(`${key} must be a function`);
    }
  }
}
