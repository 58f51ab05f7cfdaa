/**
 * Running scenario files: load and validate them all, select, run each in fresh sessions
 * (optionally several at once), and report.
 *
 * @module
 */

import { resolveHashSeed, type SessionOptions } from "../options.ts";
import type { RunReport, ScenarioReport, StepReport } from "../report/model.ts";
import { Session } from "../session.ts";
import { PooledSessions, sessionsHeldAtOnce } from "./pooled_sessions.ts";
import { ScenarioRun, type ScenarioSession, type SessionFactory } from "./scenario_run.ts";
import { loadScenarios, type SelectOptions, selectScenarios } from "./select.ts";
import type { Scenario } from "./types.ts";
import { updateScenarioFile } from "./update.ts";
import { ScenarioError } from "./errors.ts";
import { scenarioSource } from "./load.ts";
import { documentSource } from "../docs/sources.ts";

/** Options of `runScenarios()`. */
export interface RunOptions extends SelectOptions {
  /** Default step timeout in milliseconds; overrides the files' `timeout` (a step's own wins). */
  timeoutMs?: number;
  /** The Python interpreter; overrides the files' `python`. */
  python?: string;
  /**
   * `PYTHONHASHSEED` of every interpreter, overriding the files' `hash_seed`: a number, or
   * `"random"` to pick one for the whole run (the report's `hashSeed` says which). Default: each
   * scenario's own, else 0.
   */
  hashSeed?: number | "random";
  /** Start no further scenario once one has failed. Default false. */
  bail?: boolean;
  /** How many scenarios run at once. Default 1. The report keeps file order regardless. */
  jobs?: number;
  /**
   * Write actual outputs back into each file's expectations (see `updateScenarioFile`). A file
   * that changed on disk since it was loaded, vanished or cannot be written is not updated: its
   * scenario fails with `updateError`, and the run goes on.
   */
  update?: boolean;
  /**
   * Stops the run: no further scenario starts, running cells are interrupted (their steps fail
   * with "the run was stopped"), sessions end, files of scenarios cut short are not updated,
   * and the report holds the scenarios that started.
   */
  signal?: AbortSignal;
  /** Called when a scenario starts. */
  onScenarioStart?: (scenario: Scenario) => void;
  /** Called with each scenario's report, in file order (a report waits for the ones before it). */
  onScenarioDone?: (report: ScenarioReport) => void;
  /** Makes each session a scenario uses. Default: forks from a SessionPool per configuration. */
  sessionFactory?: SessionFactory;
}

/** Options of `runScenario()`. */
export interface RunScenarioOptions
  extends Pick<RunOptions, "timeoutMs" | "python" | "sessionFactory" | "signal"> {
  /** `PYTHONHASHSEED` of the scenario's interpreters, overriding its `hash_seed`. */
  hashSeed?: number;
  /** Run every step even after one failed (what `update` does). Default false. */
  continueOnFailure?: boolean;
  /** Stop a document at its first failed example (documents otherwise run them all). */
  bail?: boolean;
}

/** Makes a `Session` with `options` and starts it. */
export async function defaultSessionFactory(options: SessionOptions): Promise<ScenarioSession> {
  const session = new Session(options);
  try {
    await session.start();
  } catch (e) {
    await session.shutdown().catch(() => {});
    throw e;
  }
  return session;
}

/**
 * Runs the scenario files, directories and globs in `paths` (or scenarios already loaded with
 * `loadScenario`); every file is validated before anything runs. Each scenario runs in fresh sessions, all shut down at its end.
 *
 * @throws {ScenarioValidationError} when a file is invalid (nothing has run).
 * @example
 * ```ts
 * import { runScenarios } from "./run.ts";
 * const report = await runScenarios(["scenarios/"], { tags: ["input"], jobs: 2 });
 * console.log(`${report.passed} passed, ${report.failed} failed`);
 * ```
 */
export async function runScenarios(
  paths: string[] | Scenario[],
  options: RunOptions = {},
): Promise<RunReport> {
  const startedAt = new Date();
  const start = performance.now();
  // Scenarios the caller already loaded (the CLI does, for --list and its progress line) are not read again.
  const loaded = isLoaded(paths) ? paths : await loadScenarios(paths);
  const scenarios = selectScenarios(loaded, options);
  // "random" is resolved once, here, so every scenario of the run uses (and reports) the same seed.
  const hashSeed = options.hashSeed === undefined
    ? undefined
    : resolveHashSeed({ hashSeed: options.hashSeed });
  const reports: (ScenarioReport | undefined)[] = new Array(scenarios.length);
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, scenarios.length));
  // Without a factory of the caller's, sessions come from pools: a fork of a warm template per session.
  await using pooled = options.sessionFactory ? null : new PooledSessions(jobs, {
    sessionsPerScenario: sessionsHeldAtOnce(scenarios),
  });
  const sessionFactory = options.sessionFactory ?? pooled!.factory;
  let next = 0;
  let bailed = false;
  const worker = async () => {
    while (next < scenarios.length && !bailed && !options.signal?.aborted) {
      const i = next++;
      options.onScenarioStart?.(scenarios[i]);
      const report = await runScenario(scenarios[i], {
        ...options,
        hashSeed,
        sessionFactory,
        continueOnFailure: options.update,
      });
      // A scenario cut short by a stop has no results worth writing: its file stays as it was.
      if (options.update && !options.signal?.aborted) await update(scenarios[i], report);
      reports[i] = report;
      if (report.status === "failed" && options.bail) bailed = true;
      reportInOrder();
    }
  };
  // Scenarios finish in any order when jobs > 1; reporters hear of them in file order, whatever jobs is.
  let reported = 0;
  const reportInOrder = () => {
    while (reported < scenarios.length && reports[reported] !== undefined) {
      const report = reports[reported]!;
      reported++; // not inside the call: `?.` would skip it when there is no callback
      options.onScenarioDone?.(report);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const done = reports.filter((r): r is ScenarioReport => r !== undefined);
  return {
    scenarios: done,
    passed: done.filter((r) => r.status === "passed").length,
    failed: done.filter((r) => r.status === "failed").length,
    durationMs: performance.now() - start,
    startedAt: startedAt.toISOString(),
    hashSeed: hashSeed ?? 0,
    ...pythonVersionOf(done),
  };
}

/**
 * Runs one loaded scenario in fresh sessions; after a failed step the rest are skipped.
 *
 * @example
 * ```ts
 * import { loadScenario } from "./load.ts";
 * import { runScenario } from "./run.ts";
 * const report = await runScenario(await loadScenario("scenarios/greeting.yaml"));
 * console.log(report.status);
 * ```
 */
export async function runScenario(
  scenario: Scenario,
  options: RunScenarioOptions = {},
): Promise<ScenarioReport> {
  const start = performance.now();
  const run = new ScenarioRun(scenario, {
    sessionFactory: options.sessionFactory ?? defaultSessionFactory,
    python: options.python,
    timeoutMs: options.timeoutMs,
    ...(options.hashSeed === undefined ? {} : { hashSeed: options.hashSeed }),
    continueOnFailure: options.continueOnFailure,
    signal: options.signal,
    bail: options.bail,
  });
  const setup: StepReport[] = [];
  const steps: StepReport[] = [];
  try {
    for (const step of scenario.setup ?? []) {
      const report = await run.runStep(step);
      setup.push({ ...report, label: `setup: ${report.label}` });
    }
    const failed = setup.find((s) => s.status === "failed");
    for (const step of scenario.steps) {
      // A failed setup step fails the scenario's first step, where every reporter shows it, and
      // skips the rest: nothing ran, so --update has nothing to write.
      if (failed === undefined) steps.push(await run.runStep(step));
      else if (steps.length > 0) steps.push(run.skip(step));
      else {steps.push({
          ...run.skip(step),
          status: "failed",
          error: setupFailure(scenario, failed),
        });}
    }
  } finally {
    await run.close();
  }
  return {
    name: scenario.name,
    file: scenario.file,
    tags: scenario.tags,
    status: steps.some((s) => s.status === "failed") ? "failed" : "passed",
    durationMs: performance.now() - start,
    steps,
    ...(setup.length > 0 ? { setup } : {}),
    hashSeed: run.hashSeed,
    ...(run.pythonVersion ? { pythonVersion: run.pythonVersion } : {}),
  };
}

/** Writes `report` back into the scenario's file; a file that cannot be written fails only its scenario. */
async function update(scenario: Scenario, report: ScenarioReport): Promise<void> {
  try {
    const document = scenario.source === undefined || scenario.source === "scenario"
      ? undefined
      : documentSource(scenario.file);
    report.updated = document
      ? await document.update(scenario, report)
      : await updateScenarioFile(scenario.file, report, {
        expectedText: scenarioSource(scenario),
      });
  } catch (e) {
    report.updated = false;
    report.status = "failed";
    report.updateError = e instanceof Deno.errors.NotFound
      ? `${scenario.file} was removed during the run; not updated`
      : e instanceof ScenarioError
      ? e.message
      : `${scenario.file} could not be updated: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** "setup step 1 of pyrepl3.yaml:4:5 failed: expected status ok, got error (...)". */
function setupFailure(scenario: Scenario, step: StepReport): string {
  const why = step.error ?? step.failures.map((f) => f.message).join("; ");
  return `setup step ${step.index + 1} of ${scenario.config}:${step.line}:${step.column} ` +
    `(${step.label}) failed: ${why}`;
}

function isLoaded(paths: string[] | Scenario[]): paths is Scenario[] {
  return paths.every((path) => typeof path !== "string");
}

/** The run's Python version: the one its scenarios ran (omitted when none started a session). */
function pythonVersionOf(reports: ScenarioReport[]): { pythonVersion?: string } {
  const version = reports.find((r) => r.pythonVersion)?.pythonVersion;
  return version ? { pythonVersion: version } : {};
}
