/**
 * Documents as scenario sources, by file extension: how each kind is loaded into scenarios and
 * how `--update` writes a run back into it. Adding a kind is one entry in `DOCUMENT_SOURCES`.
 *
 * @module
 */

import { extname } from "node:path";
import type { ScenarioReport } from "../report/model.ts";
import type { ProjectConfig } from "../scenario/config.ts";
import type { ExecStep, Scenario, ScenarioSource } from "../scenario/types.ts";
import { DEFAULT_SESSION } from "../scenario/steps.ts";
import { doctestScenario, documentName } from "./doctest_scenario.ts";
import {
  type ParsedExample,
  parseDocument,
  type ParsedTest,
  type ParseOptions,
  prefetchDocuments,
} from "./parse.ts";
import { rememberDocumentText, updateDoctestDocument } from "./update.ts";
import { NOTEBOOK_SOURCE } from "../notebook/source.ts";

/** How documents are loaded. */
export interface DocumentLoadOptions {
  /** The project config file that applies to the document. */
  config?: ProjectConfig;
  /** The interpreter that finds the examples (the run's `--python`, else the config's). */
  python?: string;
  /** doctest option flags of every example (`--doctest-options`), added to the config's. */
  doctestOptions?: string[];
  /** Notebooks: normalize addresses and ANSI codes (`--nb-sanitize`). */
  sanitize?: boolean;
  /** Notebooks: compare the images of outputs too (`--nb-images`). */
  images?: boolean;
}

/** One kind of document. */
export interface DocumentSource {
  /** What `Scenario.source` says for its scenarios. */
  kind: ScenarioSource;
  /** Run only when asked for (`.py` modules need `--doctest-modules`), even when named explicitly. */
  optIn?: "doctestModules";
  /** The document's scenarios (none when it has no examples). */
  load(
    path: string,
    text: string,
    options: DocumentLoadOptions,
  ): Scenario[] | Promise<Scenario[]>;
  /**
   * `--update`: writes `report` (a run of `scenario` with every step run) back into the document;
   * true when the file changed. Throws `ScenarioChangedError` when the file changed since loading.
   */
  update(scenario: Scenario, report: ScenarioReport): Promise<boolean>;
  /**
   * Optional: told of every document of this kind a run will load, before the first `load()`, so
   * that it can read them in one go (Markdown and text: one Python for all).
   */
  prefetch?(documents: { path: string; options: DocumentLoadOptions }[]): void;
}

/** How a document's examples are found: its interpreter, environment, and a bound on the time. */
function parseOptionsOf(options: DocumentLoadOptions): ParseOptions {
  const config = options.config;
  return {
    python: options.python ?? config?.python,
    env: config?.env,
    ...(config?.timeoutMs !== undefined
      ? { timeout: { ms: config.timeoutMs, source: config.timeoutSource ?? "timeout:" } }
      : {}),
  };
}

/** Markdown, reST and text: the doctest examples of the file. */
function textSource(kind: "markdown" | "rst" | "text"): DocumentSource {
  const parseKind = kind === "markdown" ? "markdown" : "text";
  const parseOptions = (options: DocumentLoadOptions) => parseOptionsOf(options);
  return {
    kind,
    prefetch(documents) {
      prefetchDocuments(
        documents.map(({ path, options }) => ({ path, kind: parseKind, ...parseOptions(options) })),
      );
    },
    async load(path, text, options) {
      rememberDocumentText(path, text);
      const examples = await parseDocument(
        path,
        parseKind,
        parseOptions(options),
      ) as ParsedExample[];
      if (examples.length === 0) return [];
      return [doctestScenario(path, examples, {
        name: documentName(path),
        source: kind,
        config: options.config,
        doctestOptions: options.doctestOptions,
      })];
    },
    update: updateDoctestDocument,
  };
}

/** A Python module: one scenario per docstring with examples, in the module's globals. */
const moduleSource: DocumentSource = {
  kind: "python",
  optIn: "doctestModules",
  async load(path, text, options) {
    rememberDocumentText(path, text);
    const tests = await parseDocument(path, "python", parseOptionsOf(options)) as ParsedTest[];
    return tests.map((test) => ({
      ...doctestScenario(path, test.examples, {
        name: test.name,
        source: "python",
        config: options.config,
        doctestOptions: options.doctestOptions,
        before: [moduleGlobalsStep(test)],
      }),
      // Imported once in the pool's template: each docstring's session is a fork that has it.
      warmup: moduleImportCode(test),
    }));
  },
  update: updateDoctestDocument,
};

/**
 * The first step of a docstring's scenario: the session's `__main__` gets a copy of the module's
 * globals, as doctest gives each docstring (`__name__` stays `__main__`, so checkpoints of
 * classes defined in examples still work).
 */
function moduleGlobalsStep(test: ParsedTest): ExecStep {
  const code = [
    `# the globals of module ${test.module}, copied as doctest copies them for each docstring`,
    ...importFunction(test),
    "globals().update({k: v for k, v in vars(__pyrepl3_import_module()).items()",
    "                  if k not in ('__name__', '__builtins__')})",
    "del __pyrepl3_import_module",
    "",
  ].join("\n");
  return {
    index: 0,
    line: test.line,
    column: 1,
    session: DEFAULT_SESSION,
    kind: "exec",
    code,
    expect: { hasValue: false },
    normalize: [],
  };
}

/** A function `__pyrepl3_import_module()` that imports the module (once per process), from its root. */
function importFunction(test: ParsedTest): string[] {
  return [
    "def __pyrepl3_import_module():",
    "    import importlib, sys",
    `    if ${JSON.stringify(test.root)} not in sys.path:`,
    `        sys.path.insert(0, ${JSON.stringify(test.root)})`,
    "    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ left behind",
    "    try:",
    `        return importlib.import_module(${JSON.stringify(test.module)})`,
    "    finally:",
    "        sys.dont_write_bytecode = saved",
  ];
}

/** The warmup of a docstring's scenario: the module imported, nothing left in the namespace. */
function moduleImportCode(test: ParsedTest): string {
  return [...importFunction(test), "__pyrepl3_import_module()", "del __pyrepl3_import_module", ""]
    .join("\n");
}

/**
 * The document kinds, by lower-case extension. Notebooks (`.ipynb`) come from `lib/notebook/`.
 */
export const DOCUMENT_SOURCES: Readonly<Record<string, DocumentSource>> = {
  ".md": textSource("markdown"),
  ".rst": textSource("rst"),
  ".txt": textSource("text"),
  ".py": moduleSource,
  ".ipynb": NOTEBOOK_SOURCE,
};

/** The document kind of `path` by its extension, or undefined for a scenario file or other file. */
export function documentSource(path: string): DocumentSource | undefined {
  return DOCUMENT_SOURCES[extname(path).toLowerCase()];
}

/** Which documents count as runnable (`--doctest-modules` adds `.py`). */
export interface DocumentSelection {
  /** Include Python modules. */
  doctestModules?: boolean;
}

/** True when `path` is a document this run takes (by extension, and opt-in kinds when asked). */
export function isDocumentFile(path: string, selection: DocumentSelection = {}): boolean {
  const source = documentSource(path);
  return source !== undefined && (source.optIn === undefined || selection.doctestModules === true);
}
