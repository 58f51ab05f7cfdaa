/**
 * Finding the `>>>` examples of documents with Python's own `doctest.DocTestParser` (and, for
 * modules, `DocTestFinder`): one short `python runner/doctest_support.py` per batch of files, so
 * what counts as an example, its expected output and its directives are exactly doctest's.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { DocstringLiteral } from "../results.ts";
import { runnerBootPath } from "../runner_files.ts";
import { resolvePython } from "../python.ts";
import { type ScenarioIssue, ScenarioValidationError } from "../scenario/errors.ts";
import { DEFAULT_TIMEOUT_MS } from "../scenario/scenario_run.ts";
import { formatDuration } from "../report/_format.ts";

/** How `doctest_support.py` reads a file: Markdown (Python fences only), text, or a module. */
export type ParseKind = "markdown" | "text" | "python";

/** One example as doctest parsed it. */
export interface ParsedExample {
  /** 1-based line of the example's `>>>` in the document. */
  line: number;
  /** The example's source, each line ending in `\n` (doctest's `Example.source`). */
  source: string;
  /** The expected output (doctest's `Example.want`), `""` when none. */
  want: string;
  /** The expected exception's message lines, for a traceback example. */
  excMsg: string | null;
  /** The example's `# doctest:` directives, by flag name. */
  options: Record<string, boolean>;
  /** The indentation of the `>>>`. */
  indent: number;
  /** A `>>> # pyrepl3: ...` line: no doctest example (doctest skips comments), a control step. */
  control?: boolean;
  /** In a module: how the example's docstring is written (for `--update`). */
  docstring?: DocstringLiteral;
}

/** One docstring's examples (a module's test, named as doctest names it). */
export interface ParsedTest {
  /** doctest's name of the test, e.g. `pkg.mod.func`. */
  name: string;
  /** 1-based line of its first example. */
  line: number;
  /** The examples, in order. */
  examples: ParsedExample[];
  /** The module's dotted name. */
  module: string;
  /** The directory the module is imported from (above its packages). */
  root: string;
}

type Answer = { examples: ParsedExample[] } | { tests: ParsedTest[] } | {
  error: string;
  line: number;
};

/** Options of `parseDocuments()`. */
export interface ParseOptions {
  /** The interpreter that parses (and imports modules). Default `python3`. */
  python?: string;
  /** Environment variables added for module imports. */
  env?: Record<string, string>;
  /**
   * How long finding the examples may take (a module's import runs its code, which may never
   * end), and what set it. Default `DEFAULT_TIMEOUT_MS`, the default timeout of a step.
   */
  timeout?: { ms: number; source: string };
}

/** One file to parse, for `prefetchDocuments()`. */
export interface ParseRequest extends ParseOptions {
  /** The document's path. */
  path: string;
  /** How to read it. */
  kind: ParseKind;
}

// Answers fetched ahead, by request: `parseDocument()` takes (and forgets) them.
const prefetched = new Map<string, Promise<Answer>>();
const keyOf = (r: ParseRequest) =>
  JSON.stringify([resolve(r.path), r.kind, r.python ?? "python3", r.env ?? {}, r.timeout]);

/**
 * Parses many documents with one Python per interpreter and environment (a start costs ~100 ms,
 * parsing a document ~1 ms), so that the `parseDocument()` calls that follow find their answers
 * ready. Modules are left out: importing modules of different folders in one process could mix
 * up modules of the same name.
 */
export function prefetchDocuments(requests: ParseRequest[]): void {
  const groups = new Map<string, ParseRequest[]>();
  for (const request of requests) {
    if (request.kind === "python") continue; // a fresh answer replaces one never taken
    const group = JSON.stringify([request.python ?? "python3", request.env ?? {}, request.timeout]);
    groups.set(group, [...(groups.get(group) ?? []), request]);
  }
  for (const group of groups.values()) {
    const answers = runParser(group);
    group.forEach((request, i) => {
      const answer = answers.then((all) => all[i]);
      answer.catch(() => {}); // the parseDocument() call that takes it reports the failure
      prefetched.set(keyOf(request), answer);
    });
  }
}

/**
 * Parses one document: its examples (Markdown, text) or its docstring tests (a module, which is
 * imported to find them, as doctest does).
 *
 * @throws {ScenarioValidationError} when doctest cannot parse it (inconsistent indentation, no
 * space after `>>>`) or the module cannot be imported, or Python cannot run.
 */
export async function parseDocument(
  path: string,
  kind: ParseKind,
  options: ParseOptions = {},
): Promise<ParsedExample[] | ParsedTest[]> {
  const request = { path, kind, ...options };
  const key = keyOf(request);
  const ready = prefetched.get(key);
  prefetched.delete(key);
  const answer = await (ready ?? runParser([request]).then((all) => all[0]));
  if ("error" in answer) {
    const issue: ScenarioIssue = {
      file: path,
      line: answer.line,
      column: 1,
      message: answer.error,
    };
    throw new ScenarioValidationError([issue]);
  }
  return "tests" in answer ? answer.tests : answer.examples;
}

/** Runs `runner/doctest_support.py` on `requests` (one interpreter and environment). */
async function runParser(requests: ParseRequest[]): Promise<Answer[]> {
  const { path, python = "python3", env } = requests[0];
  const timeout = requests[0].timeout ??
    { ms: DEFAULT_TIMEOUT_MS, source: "the default timeout; timeout: in pyrepl3.yaml sets it" };
  const fail = (message: string) =>
    new ScenarioValidationError(
      requests.map((r) => ({ file: r.path, line: 1, column: 1, message })),
    );
  const script = resolve(dirname(await runnerBootPath()), "doctest_support.py");
  let output: Deno.CommandOutput;
  let timedOut = false;
  try {
    // The binary behind a pyenv-like shim starts in a fraction of the shim's time (lib/python.ts).
    const executable = await resolvePython(python);
    const child = new Deno.Command(executable, {
      // Run by path from -c: the runner's folder must not come first on sys.path (its msgpack.py
      // would shadow a module's own imports).
      args: ["-c", `import runpy; runpy.run_path(${JSON.stringify(script)}, run_name="__main__")`],
      cwd: dirname(resolve(path)),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONDONTWRITEBYTECODE: "1", ...env },
    }).spawn();
    const writer = child.stdin.getWriter();
    const body = requests.map((r) => ({ path: resolve(r.path), kind: r.kind }));
    await writer.write(new TextEncoder().encode(JSON.stringify(body)));
    await writer.close();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout.ms);
    try {
      output = await child.output();
    } finally {
      clearTimeout(timer);
    }
  } catch (cause) {
    throw fail(
      `cannot run ${JSON.stringify(python)} to find the examples: ${(cause as Error).message}; ` +
        "give --python or python: in pyrepl3.yaml",
    );
  }
  if (timedOut) {
    const what = requests[0].kind === "python" ? "importing the module" : "finding the examples";
    throw fail(
      `${what} did not finish within ${formatDuration(timeout.ms)} (${timeout.source}); ` +
        "is there code at import time that never ends?",
    );
  }
  try {
    const answers = JSON.parse(new TextDecoder().decode(output.stdout));
    if (Array.isArray(answers) && answers.length === requests.length) return answers;
  } catch {
    // reported below, with what Python said
  }
  const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" ");
  throw fail(`finding the examples failed (${python} exited with ${output.code}): ${stderr}`);
}
