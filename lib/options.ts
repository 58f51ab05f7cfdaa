/**
 * Validation of option objects at the API boundary: a wrong option is a clear InvalidOptionError,
 * never a confusing failure later.
 *
 * @module
 */
import { InvalidOptionError } from "./errors.ts";
import type { ExecuteOptions, ResourceLimits, SessionOptions } from "./results.ts";
import type { KeeperOptions } from "./keeper.ts";
import { isTransactionPolicy, TRANSACTION_POLICIES } from "./transactions.ts";

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
  const key = options.checkpointKey;
  if (
    key !== undefined && !(typeof key === "string" && key !== "") && !(key instanceof Uint8Array)
  ) {
    throw new InvalidOptionError("checkpointKey must be a non-empty string or a Uint8Array");
  }
}

/** The keeper's share of a session's options. */
export function keeperOptions(options: SessionOptions): KeeperOptions {
  return {
    python: options.python,
    cwd: options.cwd,
    env: options.env,
    inheritEnv: options.inheritEnv,
    startTimeoutMs: options.startTimeoutMs,
  };
}

/** Throws InvalidOptionError for a bad execute option. */
export function validateExecuteOptions(options: ExecuteOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError("execute options must be an object");
  }
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
