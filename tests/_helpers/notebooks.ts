/**
 * Shared fixtures of the notebook tests: the fixture notebooks, a run of a notebook with every
 * cell run (as `--update` runs it), and a temporary directory removed after use.
 *
 * @module
 */
import { loadNotebook, type NotebookOptions } from "../../lib/notebook/mod.ts";
import type { ScenarioReport } from "../../lib/report/model.ts";
import { runScenario } from "../../lib/scenario/run.ts";
import { TEST_PYTHON } from "./session.ts";

/** The directory of the fixture notebooks (written by nbformat, run by IPython). */
export const NOTEBOOK_FIXTURES: string =
  new URL("../fixtures/notebooks/", import.meta.url).pathname;

/** The text of the fixture notebook `name`. */
export function notebookFixture(name: string): Promise<string> {
  return Deno.readTextFile(`${NOTEBOOK_FIXTURES}${name}`);
}

/** Runs notebook `text` as the file `path` with the test Python, every cell run and reported. */
export async function runNotebook(
  path: string,
  text: string,
  options: NotebookOptions = {},
): Promise<ScenarioReport> {
  const [scenario] = loadNotebook(path, text, options);
  return await runScenario(scenario, {
    python: TEST_PYTHON,
    timeoutMs: 20_000,
    continueOnFailure: true,
  });
}

/** A temporary directory, removed with everything in it when disposed (`await using`). */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "pyrepl3_nb_" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
