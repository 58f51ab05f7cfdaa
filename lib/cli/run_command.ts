/**
 * `pyrepl3 [OPTIONS] PATHS...`: find the scenario files, run them (or list them), and feed
 * every selected reporter as the run goes.
 *
 * @module
 */

import { WorkerStartError } from "../errors.ts";
import { resolvePython } from "../python.ts";
import { runScenarios } from "../scenario/run.ts";
import { loadScenarios, selectScenarios } from "../scenario/select.ts";
import {
  type Durations,
  DurationsReportError,
  parseDurations,
} from "../scenario/shard_durations.ts";
import { readTextFileStrict, unreadableReason } from "../scenario/read_text.ts";
import type { Scenario } from "../scenario/types.ts";
import { shardSummary } from "./_list_shards.ts";
import type { ReporterSpec, RunOptions } from "./args.ts";
import type { RunReport } from "../report/model.ts";
import { resolve } from "node:path";
import { NoScenariosError, PythonOptionError } from "./errors.ts";
import { UsageError } from "./args.ts";
import type { CliIO } from "./io.ts";
import { exitCodeForSignal, StopSignals } from "./_stop_signals.ts";
import { openReporter, type ReporterOutput } from "./_reporter_output.ts";
import { watchCommand } from "./watch_command.ts";
import { documentOptions } from "./_document_options.ts";

/** Exit code: every scenario passed. */
export const EXIT_PASSED = 0;
/** Exit code: a scenario failed. */
export const EXIT_FAILED = 1;

/**
 * Runs the command and returns its exit code: 0 passed, 1 failed, 130 or 143 when SIGINT or
 * SIGTERM stopped the run (the reports of what ran are written all the same).
 *
 * @throws {ScenarioValidationError} for invalid scenario files, `ScenarioNotFoundError` for
 * paths that match nothing, `PythonOptionError` when `--python` is no Python; the caller turns
 * them into messages and exit code 2.
 */
export async function runCommand(options: RunOptions, io: CliIO): Promise<number> {
  if (options.update && (options.ci || isTruthy(Deno.env.get("CI")))) {
    throw new UsageError(
      `--update rewrites scenario files, which a CI run must not do (${
        options.ci ? "--ci is given" : `CI=${Deno.env.get("CI")} is set`
      }); run --update locally and commit the files`,
    );
  }
  if (options.watch && !options.list) return await watchCommand(options, io);
  // Listening from the start: a Ctrl-C while big files load stops the run before anything runs.
  using stops = new StopSignals((signal) => {
    const again = signal === "SIGINT" ? "press Ctrl-C again" : "send it again";
    io.stderr(
      `\npyrepl3: ${signal}: stopping; writing the reports of what ran (${again} to quit at once)\n`,
    );
  });
  // Loading here validates every file before anything runs, and gives --list and the progress
  // line the selection; runScenarios() gets the loaded files and selects the same way.
  let durations: Durations | undefined;
  let loaded: Scenario[];
  try {
    durations = await readDurations(options);
    loaded = await loadScenarios(options.patterns, documentOptions(options));
  } catch (error) {
    // A Ctrl-C at the terminal also reaches a Python that was finding a document's examples.
    if (stops.received !== undefined) return exitCodeForSignal(stops.received);
    throw error;
  }
  if (stops.received !== undefined) return exitCodeForSignal(stops.received);
  const selected = selectScenarios(loaded, { ...options, durations });
  if (selected.length === 0 && !options.passWithNoTests) {
    throw new NoScenariosError(noScenariosMessage(options, loaded.length));
  }
  if (options.list) {
    const width = Math.max(0, ...selected.map((s) => s.name.length));
    for (const s of selected) io.stdout(`${s.name.padEnd(width)}  ${s.file}\n`);
    if (options.shard && durations) {
      const { filter, tags, shard } = options;
      io.stdout(`\n${shardSummary(loaded, { filter, tags, shard, durations })}`);
    }
    return EXIT_PASSED;
  }
  if (options.python !== undefined) await checkPython(options.python);
  await checkReportFiles(options.reporters, loaded.map((s) => s.file));
  const outputs = options.reporters.map((spec) =>
    openReporter(spec, {
      io,
      total: selected.length,
      color: options.color,
    })
  );
  const report = await runScenarios(loaded, {
    filter: options.filter,
    tags: options.tags,
    timeoutMs: options.timeoutMs,
    python: options.python,
    bail: options.bail,
    jobs: options.jobs,
    shard: options.shard,
    durations,
    update: options.update,
    ...(options.hashSeed === undefined ? {} : { hashSeed: options.hashSeed }),
    signal: stops.signal,
    onScenarioStart: (scenario) => {
      for (const output of outputs) output.reporter.scenarioStarted(scenario);
    },
    onScenarioDone: (scenario) => {
      for (const output of outputs) output.reporter.scenarioDone(scenario);
    },
  });
  await finishAll(outputs, report);
  for (const s of report.scenarios) {
    if (s.updateError !== undefined) io.stderr(`pyrepl3: ${s.updateError}\n`);
  }
  if (stops.received !== undefined) return exitCodeForSignal(stops.received);
  // Under --update a step whose expectations were rewritten passes (updateScenarioFile marks
  // it); a step no rewrite can fix (a crash) still fails the run.
  return report.scenarios.some((s) => s.status === "failed") ? EXIT_FAILED : EXIT_PASSED;
}

/** Writes every report, each whatever became of the others; then throws the first failure. */
async function finishAll(outputs: ReporterOutput[], report: RunReport): Promise<void> {
  const errors: unknown[] = [];
  for (const output of outputs) await output.finish(report).catch((e) => errors.push(e));
  if (errors.length > 0) throw errors[0];
}

/**
 * Report files that cannot be written are usage mistakes found before anything runs: an existing
 * directory, one file named by two reporters (the last would overwrite the first), or a file
 * being run (`pyrepl3 a.yaml -r junit:a.yaml` replaced the scenario with its report).
 */
async function checkReportFiles(reporters: ReporterSpec[], inputs: string[]): Promise<void> {
  const real = (file: string) => Deno.realPath(file).catch(() => resolve(file));
  const sources = new Set(await Promise.all(inputs.map(real)));
  const owners = new Map<string, string>();
  for (const { name, file } of reporters) {
    if (file === undefined) continue;
    const info = await Deno.stat(file).catch(() => undefined);
    if (info?.isDirectory) {
      throw new UsageError(
        `--reporter ${name}:${file}: ${file} is a directory; give a file's path`,
      );
    }
    const path = await real(file);
    if (sources.has(path)) {
      throw new UsageError(
        `--reporter ${name}:${file}: ${file} is a file being run; the report would replace it`,
      );
    }
    const other = owners.get(path);
    if (other !== undefined && !(info && !info.isFile)) { // /dev/null twice is fine
      throw new UsageError(
        `--reporter ${other} and --reporter ${name} both write ${file}; give each its own file`,
      );
    }
    owners.set(path, name);
  }
}

/** The durations `--durations` names, which only `--shard` uses. */
async function readDurations(options: RunOptions): Promise<Durations | undefined> {
  if (options.durations === undefined) return undefined;
  if (options.shard === undefined) {
    throw new UsageError("--durations balances shards by time; give --shard I/N with it");
  }
  const file = options.durations;
  let text: string;
  try {
    text = await readTextFileStrict(file); // not a FIFO or /dev/zero, which never end
  } catch (error) {
    throw new DurationsReportError(
      `--durations: cannot read ${file}: ${unreadableReason(error)}`,
      { cause: error },
    );
  }
  return parseDurations(text, file);
}

/** A wrong `--python` is a usage mistake (exit 2), not every scenario failing to start (exit 1). */
async function checkPython(python: string): Promise<void> {
  try {
    await resolvePython(python);
  } catch (error) {
    if (!(error instanceof WorkerStartError)) throw error;
    throw new PythonOptionError(python, error);
  }
}

/** `CI=true`, `CI=1`: set and not empty, `0` or `false` (any case). */
function isTruthy(value: string | undefined): boolean {
  return value !== undefined && !["", "0", "false"].includes(value.trim().toLowerCase());
}

/** Why nothing was selected, and how to allow it. */
/** A path that names a document (its examples run when it is named, whatever `--docs` says). */
const DOCUMENT_EXTENSION = /\.(md|rst|txt|py|ipynb)$/;

function noScenariosMessage(options: RunOptions, found: number): string {
  const paths = options.patterns.join(" ");
  const narrowing = [
    options.filter === undefined ? "" : `--filter ${options.filter.source}`,
    options.tags.length === 0 ? "" : options.tags.map((t) => `--tag ${t}`).join(" "),
    options.shard === undefined ? "" : `--shard ${options.shard.index}/${options.shard.total}`,
  ].filter((s) => s !== "").join(" ");
  const documents = options.patterns.filter((p) => DOCUMENT_EXTENSION.test(p));
  const why = found === 0 && documents.length === options.patterns.length
    ? `${paths} ${documents.length === 1 ? "holds" : "hold"} no >>> example${
      options.patterns.some((p) => p.endsWith(".ipynb")) ? " or code cell" : ""
    } to run`
    : found === 0
    ? `no scenario file (*.yaml, *.yml, *.json)${
      options.docs ? " or document with >>> examples" : ""
    } found in ${paths}${options.docs ? "" : " (documents: name them, or give --docs)"}`
    : `${narrowing} selected none of the ${found} scenario${found === 1 ? "" : "s"} in ${paths}`;
  return `no scenarios to run: ${why}; pass --pass-with-no-tests to allow an empty run`;
}
