/**
 * A document's examples as a scenario: each `>>>` example one exec step of the document's session
 * (judged by doctest in the worker), each standalone `# pyrepl3:` control example a control step.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import type { ProjectConfig } from "../scenario/config.ts";
import { type ScenarioIssue, ScenarioValidationError } from "../scenario/errors.ts";
import { DEFAULT_SESSION } from "../scenario/steps.ts";
import type { ExecStep, Scenario, ScenarioSource, Step } from "../scenario/types.ts";
import { execStepFields, parseExampleDirectives } from "./directives.ts";
import type { ParsedExample } from "./parse.ts";

export { DOCTEST_OPTION_NAMES } from "./option_names.ts";

/** What a document scenario is built with. */
export interface DoctestScenarioOptions {
  /** The scenario's name (the document's file name, or the docstring's test name). */
  name: string;
  /** What the document is. */
  source: ScenarioSource;
  /** The project config file that applies to the document. */
  config?: ProjectConfig;
  /** Option flags of the whole run, as `doctest -o` (`--doctest-options`, `doctest_options:`). */
  doctestOptions?: string[];
  /** Exec steps run before the examples (a module's globals). */
  before?: ExecStep[];
}

/**
 * Builds the scenario of `examples` found in `file`.
 *
 * @throws {ScenarioValidationError} for a bad `# pyrepl3:` directive or `restore` of an unknown
 * checkpoint, with its line.
 */
export function doctestScenario(
  file: string,
  examples: ParsedExample[],
  options: DoctestScenarioOptions,
): Scenario {
  const config = options.config;
  const issues: ScenarioIssue[] = [];
  const checkpoints = new Set<string>();
  const before = options.before ?? [];
  const runOptions = [...(config?.doctestOptions ?? []), ...(options.doctestOptions ?? [])];
  const steps = examples.map((example, i): Step => {
    const base = {
      index: before.length + i,
      line: example.line,
      column: example.indent + 1,
      session: DEFAULT_SESSION,
    };
    let directives;
    try {
      directives = parseExampleDirectives(example.source);
    } catch (e) {
      issues.push({ file, line: example.line, column: 1, message: (e as Error).message });
      directives = {};
    }
    const control = directives.control;
    if (example.control && control === undefined && issues.length === 0) {
      issues.push({
        file,
        line: example.line,
        column: 1,
        message: "a `>>> # pyrepl3:` line of its own takes checkpoint=NAME, restore=NAME, " +
          "commit, rollback or restart (inputs=, transaction= and timeout= go on an example's line)",
      });
    }
    if (control?.kind === "checkpoint") checkpoints.add(control.name);
    if (control?.kind === "restore" && !checkpoints.has(control.name)) {
      issues.push({
        file,
        line: example.line,
        column: 1,
        message: `restore=${control.name}: no earlier example takes a checkpoint of that name ` +
          `(add >>> # pyrepl3: checkpoint=${control.name} before it)`,
      });
    }
    if (control !== undefined) return { ...base, ...control };
    return {
      ...base,
      kind: "exec",
      code: example.source,
      ...execStepFields(directives),
      expect: { hasValue: false },
      normalize: [],
      doctest: {
        want: example.want,
        excMsg: example.excMsg,
        options: example.options,
        runOptions,
        indent: example.indent,
        line: example.line,
        name: options.name,
        ...(example.docstring ? { docstring: example.docstring } : {}),
      },
    };
  });
  if (issues.length > 0) throw new ScenarioValidationError(issues);
  return {
    name: options.name,
    file,
    tags: [],
    ...(config?.python ? { python: config.python } : {}),
    ...(config?.env ? { env: config.env } : {}),
    cwd: config?.cwd ?? dirname(resolve(file)),
    ...(config?.timeoutMs !== undefined
      ? { timeoutMs: config.timeoutMs, timeoutSource: config.timeoutSource }
      : {}),
    ...(config?.hashSeed !== undefined ? { hashSeed: config.hashSeed } : {}),
    ...(config?.limits ? { limits: config.limits } : {}),
    ...(config && config.setup.length > 0 ? { setup: config.setup, config: config.file } : {}),
    steps: [...before, ...steps],
    source: options.source,
    keepGoing: true,
  };
}

/** The scenario name of a document: its file name (`README.md`). */
export function documentName(file: string): string {
  return basename(file);
}
