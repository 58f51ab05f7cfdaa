/**
 * How the CLI reports an error: a user's mistake as one line (never a stack), anything
 * unexpected as its message plus the stack. Both exit with 2.
 *
 * @module
 */

import { PyReplError } from "../errors.ts";
import { ScenarioError, ScenarioValidationError } from "../scenario/errors.ts";
import { UsageError } from "./args.ts";

/** Exit code: bad usage, an invalid scenario file, or an internal error. */
export const EXIT_USAGE = 2;

/** `--python` names no usable Python interpreter (missing, not Python, or too old). */
export class PythonOptionError extends PyReplError {
  override name = "PythonOptionError";

  /** Creates the error from what starting the interpreter said (`cause`). */
  constructor(python: string, cause: Error) {
    // The library's advice names its `python` option; the CLI user's knob is --python.
    const why = cause.message.split("\n")[0]
      .replace(/;\s*pass the `python` option.*$/, "")
      .replace(/:\s*$/, "");
    super(`--python ${python}: not a usable Python 3.9+ interpreter: ${why}`, { cause });
  }
}

/** Exit code: no scenario was selected (without `--pass-with-no-tests`). */
export const EXIT_NO_SCENARIOS = 1;

/**
 * The paths, `--filter`, `--tag` and `--shard` selected no scenario: a typo in CI must not give a
 * green build. `--pass-with-no-tests` allows it.
 */
export class NoScenariosError extends PyReplError {
  override name = "NoScenariosError";
}

/**
 * A report file could not be written (`--reporter junit:FILE` on a full disk, a directory, a
 * read-only place): names the reporter, the file and why. The other reports are still written.
 */
export class ReportWriteError extends PyReplError {
  override name = "ReportWriteError";

  /** Creates the error for reporter `reporter` writing `file`. */
  constructor(reporter: string, file: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot write the ${reporter} report to ${file}: ${why}`, { cause });
  }
}

/** What the CLI prints to stderr for an error, and the exit code. */
export interface ErrorReport {
  /** Lines for stderr, without newlines. */
  lines: string[];
  exitCode: number;
}

/**
 * Describes an error for stderr.
 *
 * - `UsageError`: its message and a pointer to `--help`;
 * - `PythonOptionError`: its message, one line;
 * - `NoScenariosError`: its message, one line, exit code 1;
 * - `ScenarioValidationError`: every issue as `file:line:column: message`;
 * - other PyREPL3 errors and Deno's file-system errors: `pyrepl3: Name: message`;
 * - anything else is a bug: `pyrepl3: internal error: message` and the stack.
 *
 * @example
 * ```ts
 * import { describeError } from "./errors.ts";
 * import { UsageError } from "./args.ts";
 * const { lines, exitCode } = describeError(new UsageError("unknown option --x"));
 * if (exitCode !== 2 || lines[0] !== "pyrepl3: unknown option --x") throw new Error(lines[0]);
 * ```
 */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof UsageError) {
    return { lines: [`pyrepl3: ${error.message}`, "Try 'pyrepl3 --help'."], exitCode: EXIT_USAGE };
  }
  if (error instanceof NoScenariosError) {
    return { lines: [`pyrepl3: ${oneLine(error.message)}`], exitCode: EXIT_NO_SCENARIOS };
  }
  if (error instanceof PythonOptionError) {
    return { lines: [`pyrepl3: ${oneLine(error.message)}`], exitCode: EXIT_USAGE };
  }
  if (error instanceof ScenarioValidationError) {
    const lines = error.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`);
    return {
      lines: lines.length > 0 ? lines : [`pyrepl3: ${error.message}`],
      exitCode: EXIT_USAGE,
    };
  }
  if (isKnown(error)) {
    return { lines: [`pyrepl3: ${error.name}: ${oneLine(error.message)}`], exitCode: EXIT_USAGE };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && error.stack !== undefined ? error.stack : "";
  return {
    lines: [`pyrepl3: internal error: ${oneLine(message)}`, ...(stack === "" ? [] : [stack])],
    exitCode: EXIT_USAGE,
  };
}

/** Errors a user causes or can fix: ours, and the file system's (no such file, no permission). */
function isKnown(error: unknown): error is Error {
  if (error instanceof PyReplError || error instanceof ScenarioError) return true;
  return Object.values(Deno.errors).some((cls) => error instanceof cls);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, "; ");
}
