/**
 * The doctest oracle: for every document in tests/fixtures/docs/ written for it, the set of
 * examples that pass, fail and are skipped is, example by example, the one the standard library's
 * doctest runner gives on the same file (same interpreter, same PYTHONHASHSEED, same options), and
 * `python -m doctest` counts as many failures for the reST and text files.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runScenarios } from "../lib/scenario/run.ts";
import { loadScenarios } from "../lib/scenario/select.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

const DIR = fileURLToPath(new URL("./fixtures/docs/", import.meta.url));
const ORACLE = `${DIR}oracle.py`;

/** The documents of the oracle set and the run options each is run with (as `doctest -o`). */
const CASES: { file: string; options: string[] }[] = [
  { file: "oracle_basic.md", options: [] },
  { file: "oracle_directives.rst", options: [] },
  { file: "oracle_text.txt", options: [] },
  { file: "oracle_run_options.txt", options: ["ELLIPSIS", "NORMALIZE_WHITESPACE"] },
  { file: "oracle_tricky.txt", options: [] },
  { file: "oracle_tricky.txt", options: ["ELLIPSIS", "IGNORE_EXCEPTION_DETAIL", "FAIL_FAST"] },
  { file: "oracle_tricky.txt", options: ["NORMALIZE_WHITESPACE", "REPORT_ONLY_FIRST_FAILURE"] },
];

async function oracleVerdicts(file: string, options: string[]): Promise<Record<string, string>> {
  const output = await new Deno.Command(TEST_PYTHON, {
    args: [ORACLE, file, options.join(",")],
    env: { PYTHONHASHSEED: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function ourVerdicts(file: string, options: string[]): Promise<Record<string, string>> {
  const loaded = await loadScenarios([file], { doctestOptions: options, python: TEST_PYTHON });
  const report = await runScenarios(loaded, { python: TEST_PYTHON, hashSeed: 0 });
  equal(report.scenarios.length, 1);
  return Object.fromEntries(report.scenarios[0].steps.map((s) => [String(s.line), s.status]));
}

/** `python -m doctest -o ... FILE`: the number of failures it reports (0 when it passes). */
async function doctestModuleFailures(file: string, options: string[]): Promise<number> {
  const output = await new Deno.Command(TEST_PYTHON, {
    args: ["-m", "doctest", ...options.flatMap((o) => ["-o", o]), file],
    env: { PYTHONHASHSEED: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const found = /\*\*\*Test Failed\*\*\* (\d+) failure/.exec(text);
  return found ? Number(found[1]) : 0;
}

for (const { file, options } of CASES) {
  Deno.test(`oracle: ${file}${options.length ? ` -o ${options.join(",")}` : ""}`, async () => {
    const path = `${DIR}${file}`;
    const expected = await oracleVerdicts(path, options);
    const actual = await ourVerdicts(path, options);
    deepStrictEqual(actual, expected);
    const statuses = new Set(Object.values(expected));
    ok(statuses.has("passed") && statuses.has("failed"), "a document of the set passes and fails");
    if (!file.endsWith(".md")) {
      const failed = Object.values(actual).filter((s) => s === "failed").length;
      equal(await doctestModuleFailures(path, options), failed);
    }
  });
}
