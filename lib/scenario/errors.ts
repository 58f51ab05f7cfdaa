/**
 * The error a scenario file raises when it cannot be run as written.
 *
 * @module
 */

import { PyReplError } from "../errors.ts";

/** One problem found in a scenario file, with its position. */
export interface ScenarioIssue {
  /** The scenario file the problem is in. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** What is wrong and what was expected. */
  message: string;
}

/** Base of the errors about scenario files. */
export class ScenarioError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "ScenarioError";
}

/**
 * Thrown when one or more scenario files are invalid; nothing has run.
 *
 * @example
 * ```ts ignore
 * import { loadScenario } from "./load.ts";
 * import { ScenarioValidationError } from "./errors.ts";
 * try {
 *   await loadScenario("bad.yaml");
 * } catch (e) {
 *   if (e instanceof ScenarioValidationError) console.error(e.message);
 * }
 * ```
 */
export class ScenarioValidationError extends ScenarioError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "ScenarioValidationError";
  /** Every problem found, each with file, line and column. */
  readonly issues: ScenarioIssue[];

  /** Creates the error from every problem found; the message lists them one per line. */
  constructor(issues: ScenarioIssue[]) {
    super(
      issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`).join("\n") ||
        "invalid scenario",
    );
    this.issues = issues;
  }
}

/** A path or glob given to find scenario files matched nothing. */
export class ScenarioNotFoundError extends ScenarioError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "ScenarioNotFoundError";
}

/** A file that cannot be read as text: not a regular file (a FIFO, a device), or not UTF-8. */
export class TextFileError extends ScenarioError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "TextFileError";
  /** The file. */
  readonly file: string;
  /** 1-based line of the problem (1 when it is about the whole file). */
  readonly line: number;
  /** 1-based column of the problem. */
  readonly column: number;
  /** What is wrong and what to do, without the file's name. */
  readonly reason: string;

  /** Creates the error; the message is `file:line:column: reason`. */
  constructor(file: string, reason: string, where: { line: number; column: number } = {
    line: 1,
    column: 1,
  }) {
    super(`${file}:${where.line}:${where.column}: ${reason}`);
    this.file = file;
    this.line = where.line;
    this.column = where.column;
    this.reason = reason;
  }
}

/** `--update` found a scenario file changed on disk since it was read, and left it alone. */
export class ScenarioChangedError extends ScenarioError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "ScenarioChangedError";

  /** Creates the error for `file`. */
  constructor(file: string) {
    super(
      `${file} changed on disk since it was read; it was not updated, so that no result lands ` +
        `in the wrong step (run --update again)`,
    );
  }
}

/** A `matches:` or `normalize` pattern that is not valid, or that could not run in linear time. */
export class InvalidRegexError extends ScenarioError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "InvalidRegexError";
  /** The pattern as written. */
  readonly source: string;

  /** Creates the error; the message is `invalid regular expression "SOURCE": REASON`. */
  constructor(source: string, reason: string) {
    super(`invalid regular expression ${JSON.stringify(source)}: ${reason}`);
    this.source = source;
  }
}
