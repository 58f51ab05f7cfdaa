/**
 * Finding the `>>>` examples of documents with Python's own `doctest.DocTestParser` (and, for
 * modules, `DocTestFinder`): one short `python runner/doctest_support.py` per batch of files, so
 * what counts as an example, its expected output and its directives are exactly doctest's.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { runnerBootPath } from "../runner_files.ts";
import { resolvePython } from "../python.ts";
import { type ScenarioIssue, ScenarioValidationError } from "../scenario/errors.ts";

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
}

/**
 * Parses one document: its examples (Markdown, text) or its docstring tests (a module, which is
 * imported to find them, as doctest does).
 *
 * @throws {ScenarioValidationError} when doctest cannot parse it (inconsistent indentation, no
 * space after `>>>`) or the module cannot be imported; `WorkerStartError` when Python cannot run.
 */
export async function parseDocument(
  path: string,
  kind: ParseKind,
  options: ParseOptions = {},
): Promise<ParsedExample[] | ParsedTest[]> {
  const script = resolve(dirname(await runnerBootPath()), "doctest_support.py");
  const python = options.python ?? "python3";
  let output: Deno.CommandOutput;
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
      env: { PYTHONDONTWRITEBYTECODE: "1", ...options.env },
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify([{ path: resolve(path), kind }])));
    await writer.close();
    output = await child.output();
  } catch (cause) {
    throw new ScenarioValidationError([{
      file: path,
      line: 1,
      column: 1,
      message: `cannot run ${JSON.stringify(python)} to find the examples: ${
        (cause as Error).message
      }; give --python or python: in pyrepl3.yaml`,
    }]);
  }
  const text = new TextDecoder().decode(output.stdout);
  let answers: Answer[];
  try {
    answers = JSON.parse(text);
  } catch {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" ");
    throw new ScenarioValidationError([{
      file: path,
      line: 1,
      column: 1,
      message: `finding the examples failed (${python} exited with ${output.code}): ${stderr}`,
    }]);
  }
  const answer = answers[0];
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
