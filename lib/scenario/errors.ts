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
