/**
 * A Jupyter notebook as a scenario: its code cells, in order, are the exec steps of one session,
 * each expecting the outputs saved in the notebook (see `expect.ts`).
 *
 * @module
 */

import { basename, dirname, extname, resolve } from "node:path";
import type { ProjectConfig } from "../scenario/config.ts";
import { DEFAULT_SESSION } from "../scenario/steps.ts";
import { type ScenarioIssue, ScenarioValidationError } from "../scenario/errors.ts";
import type { Normalizer, Scenario, Step } from "../scenario/types.ts";
import {
  type ExampleDirectives,
  execStepFields,
  parseExampleDirectives,
} from "../docs/directives.ts";
import { CELL_TAGS, cellExpectation, hasTag } from "./expect.ts";
import { type CodeCell, parseNotebook } from "./parse.ts";

/** How notebooks are run and compared. */
export interface NotebookOptions {
  /**
   * Normalize memory addresses (`0x7f3a...` -> `0x...`) and terminal escape codes on both sides
   * before comparing (`--nb-sanitize`). Default false.
   */
  sanitize?: boolean;
  /**
   * Compare the images (`image/png`, `image/jpeg`) of results and displays too (`--nb-images`),
   * PNGs by decoded pixels (see `images.ts`). Default false: as nbval, images are not compared.
   */
  images?: boolean;
  /** The project config file that applies to the notebook (python, env, timeout, setup...). */
  config?: ProjectConfig;
}

/**
 * The normalizers `--nb-sanitize` adds: the built-in `addresses` and `ansi`, and two ways in which
 * IPython's display of a value differs from the session's `repr()`: an object without a
 * `__repr__` of its own (`<mod.Thing at 0x...>` for `<mod.Thing object at 0x...>`), and a
 * container too long for one line, which IPython breaks after each comma (`[0,\n 1,\n 2]`), and
 * a set, whose elements IPython sorts (`sorted_sets`).
 */
export const SANITIZE_NORMALIZERS: readonly Normalizer[] = [
  "addresses",
  "ansi",
  { regex: "<([\\w.]+) object at 0x", replace: "<\\1 at 0x" },
  { regex: ",\\n\\s+", replace: ", " },
  "sorted_sets",
];

const DIRECTIVE = /#\s*pyrepl3:/;

/** `%matplotlib inline` (or a bare `%matplotlib`): what the session does anyway. */
const INLINE_MATPLOTLIB = /^(\s*)%matplotlib(\s+inline)?\s*$/;

/**
 * `source` with each `%matplotlib inline` line (the most common line of a notebook, and what the
 * session's inline backend does without asking) turned into a Python no-op, same line count.
 *
 * @example
 * ```ts
 * import { withoutInlineMatplotlib } from "./load.ts";
 * const code = withoutInlineMatplotlib("%matplotlib inline\nimport matplotlib");
 * if (code !== "pass  # %matplotlib inline\nimport matplotlib") throw new Error(code);
 * ```
 */
export function withoutInlineMatplotlib(source: string): string {
  if (!source.includes("%matplotlib")) return source;
  return source.split("\n").map((line) =>
    line.replace(INLINE_MATPLOTLIB, (_all, indent: string) => `${indent}pass  # ${line.trim()}`)
  ).join("\n");
}

/**
 * The first line of `source` that is IPython syntax rather than Python: a line magic (`%time`),
 * a cell magic (`%%time`) or a shell command (`!ls`) at the start of a line, outside a
 * triple-quoted string. Undefined when there is none.
 *
 * @example
 * ```ts
 * import { ipythonSyntax } from "./load.ts";
 * if (ipythonSyntax("import os\n!ls")?.line !== 1) throw new Error("shell command");
 * if (ipythonSyntax("s = '''\n%d items\n'''") !== undefined) throw new Error("a string");
 * ```
 */
export function ipythonSyntax(source: string): { line: number; text: string } | undefined {
  let quote: string | undefined;
  const lines = source.split("\n");
  for (let line = 0; line < lines.length; line++) {
    const text = lines[line];
    if (quote === undefined && /^\s*(%%?|!)[A-Za-z]/.test(text)) return { line, text: text.trim() };
    // Tracks triple-quoted strings, roughly: a magic-like line inside one is text.
    for (const match of text.matchAll(/"{3}|'{3}/g)) {
      if (quote === undefined) quote = match[0];
      else if (quote === match[0]) quote = undefined;
    }
  }
  return undefined;
}

/**
 * The most characters a notebook's step keeps of each stream: 64 Mi, or twice its largest saved
 * stream, so that a cell's whole output is compared and `--update` writes it whole.
 */
function outputCap(cells: readonly CodeCell[]): number {
  let largest = 0;
  for (const cell of cells) {
    for (const o of cell.outputs) {
      if (o.output_type === "stream") largest = Math.max(largest, o.text.length);
    }
  }
  return Math.max(64 * 2 ** 20, 2 * largest);
}

/** The text each notebook scenario was read from, for `--update`'s check that it is unchanged. */
const sources = new WeakMap<Scenario, string>();

/** The text `scenario` was loaded from by `loadNotebook()` (undefined for other scenarios). */
export function notebookSource(scenario: Scenario): string | undefined {
  return sources.get(scenario);
}

/** The code cells that become steps, in order: every code cell not tagged `skip`/`nbval-skip`. */
export function runCells(cells: readonly CodeCell[]): CodeCell[] {
  return cells.filter((cell) => !hasTag(cell.tags, CELL_TAGS.skip));
}

/**
 * Builds the scenario of the notebook `path` whose text is `text`: one exec step per code cell
 * (cells tagged `skip` or `nbval-skip` are left out), at the line of the cell's source in the
 * JSON text, run in one session whose working directory is the notebook's.
 *
 * @returns one scenario (a list, as every document source returns), none when no cell runs.
 * @throws {ScenarioValidationError} when the notebook is not nbformat 4 JSON, its kernel is not
 * Python, or a `# pyrepl3:` directive cannot be read.
 * @example
 * ```ts
 * import { loadNotebook } from "./load.ts";
 * const text = JSON.stringify({
 *   cells: [{ cell_type: "code", execution_count: 1, metadata: {}, source: ["print('hi')"],
 *     outputs: [{ output_type: "stream", name: "stdout", text: ["hi\n"] }] }],
 *   metadata: {}, nbformat: 4, nbformat_minor: 5,
 * }, null, 1);
 * const [scenario] = loadNotebook("demo.ipynb", text);
 * if (scenario.steps.length !== 1) throw new Error("one cell, one step");
 * ```
 */
export function loadNotebook(
  path: string,
  text: string,
  options: NotebookOptions = {},
): Scenario[] {
  const notebook = parseNotebook(text, path);
  const config = options.config;
  const normalize = [
    ...(config?.normalize ?? []),
    ...(options.sanitize ? SANITIZE_NORMALIZERS : []),
  ];
  const issues: ScenarioIssue[] = [];
  const steps = runCells(notebook.cells).map((cell, index): Step => {
    const base = { index, ...cell.sourceLines[0], session: DEFAULT_SESSION };
    let directives: ExampleDirectives = {};
    try {
      directives = parseExampleDirectives(cell.source);
    } catch (e) {
      const line = cell.source.split("\n").findIndex((l) => DIRECTIVE.test(l));
      const at = cell.sourceLines[line] ?? cell.sourceLines[0];
      const message = `cell ${cell.cellIndex + 1}: ${(e as Error).message}`;
      issues.push({ file: path, ...at, message });
    }
    const code = withoutInlineMatplotlib(cell.source);
    const magic = ipythonSyntax(code);
    if (magic !== undefined) {
      issues.push({
        file: path,
        ...(cell.sourceLines[magic.line] ?? cell.sourceLines[0]),
        message: `cell ${cell.cellIndex + 1}: ${JSON.stringify(magic.text)} is IPython syntax ` +
          `(a magic or shell command), not Python: PyREPL3 runs cells as plain Python (only ` +
          `'%matplotlib inline', its default, is taken); tag the ` +
          `cell 'skip' (or 'nbval-skip') to leave it out, or write it in Python`,
      });
    }
    // A cell of nothing but `# pyrepl3: checkpoint=NAME` (restore, commit...) is that step.
    const control = directives.control;
    if (control) return { ...base, ...control };
    return {
      ...base,
      kind: "exec",
      code,
      ...execStepFields(directives),
      expect: cellExpectation(cell.source, cell.outputs, cell.tags, { images: options.images }),
      normalize,
    };
  });
  if (issues.length > 0) throw new ScenarioValidationError(issues);
  // Nothing to run (markdown only, or every cell skipped): no scenario, as a document without examples.
  if (steps.length === 0) return [];
  const scenario: Scenario = {
    name: basename(path, extname(path)),
    file: path,
    tags: [],
    source: "notebook",
    // Every cell runs and is reported, as nbval reports each cell (`--bail` still stops the run).
    keepGoing: true,
    // Jupyter starts a notebook's kernel in the notebook's directory.
    cwd: config?.cwd ?? dirname(resolve(path)),
    steps,
    ...(config?.python !== undefined ? { python: config.python } : {}),
    ...(config?.env ? { env: config.env } : {}),
    ...(config?.timeoutMs !== undefined
      ? { timeoutMs: config.timeoutMs, timeoutSource: config.timeoutSource }
      : {}),
    ...(config?.hashSeed !== undefined ? { hashSeed: config.hashSeed } : {}),
    ...(config?.limits ? { limits: config.limits } : {}),
    maxOutputChars: outputCap(notebook.cells),
    ...(config && config.setup.length > 0 ? { setup: config.setup, config: config.file } : {}),
  };
  sources.set(scenario, text);
  return [scenario];
}
