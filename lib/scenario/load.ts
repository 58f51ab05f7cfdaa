/**
 * Reads a scenario file (YAML or JSON, one schema), validates it, and builds a `Scenario`,
 * with the defaults and setup steps of the project config file that applies to it.
 *
 * @module
 */

import { basename, dirname, extname, resolve } from "node:path";
import { ConfigFinder, type ProjectConfig, resolveStatedPath } from "./config.ts";
import { parseDocumentText, readDocumentText } from "./document.ts";
import { type ScenarioIssue, ScenarioValidationError } from "./errors.ts";
import { buildSteps, fileChecks, limitsOf, type RawScenario } from "./steps.ts";
import type { Scenario } from "./types.ts";
import { locate, validateAgainstSchema } from "./validate.ts";

export { DEFAULT_SESSION } from "./steps.ts";
export { MAX_ALIAS_COUNT } from "./document.ts";

/** The text each scenario was parsed from, for `--update`'s check that the file is unchanged. */
const sources = new WeakMap<Scenario, string>();

/**
 * The text `scenario` was parsed from (by `loadScenario` or `parseScenario`): `--update` writes
 * a file only while it still holds this text.
 */
export function scenarioSource(scenario: Scenario): string | undefined {
  return sources.get(scenario);
}

/**
 * Loads, parses and validates a scenario file, with the `pyrepl3.yaml` found upward from it.
 *
 * @throws {ScenarioValidationError} when the file (or its config file) is not valid, with every
 * problem's line and column.
 * @example
 * ```ts
 * import { loadScenario } from "./load.ts";
 * const scenario = await loadScenario("scenarios/greeting.yaml");
 * console.log(scenario.name, scenario.steps.length);
 * ```
 */
export function loadScenario(path: string): Promise<Scenario> {
  return loadScenarioUnder(path, new ConfigFinder());
}

/**
 * `loadScenario()` with a shared `ConfigFinder`, so the files of one run read each config once.
 *
 * @throws {ScenarioValidationError} as `loadScenario()` does.
 */
export async function loadScenarioUnder(path: string, configs: ConfigFinder): Promise<Scenario> {
  const text = await readDocumentText(path);
  return parseScenario(text, path, await configs.find(path));
}

/**
 * Parses and validates scenario text as if it were the file `file`, under `config` when given.
 * Scenario keys override the config's; `env` is merged over the config's.
 *
 * @throws {ScenarioValidationError} when the text is not a valid scenario.
 */
export function parseScenario(text: string, file: string, config?: ProjectConfig): Scenario {
  const { data, source } = parseDocumentText(text, file);
  const schemaIssues = validateAgainstSchema(data, source);
  if (schemaIssues.length > 0) throw new ScenarioValidationError(schemaIssues);
  const raw = data as RawScenario;
  const issues: ScenarioIssue[] = [];
  const checks = fileChecks(source, issues);
  checks.checkNormalizers(["normalize"], raw.normalize);
  const normalize = raw.normalize ?? config?.normalize ?? [];
  const steps = buildSteps(raw.steps, checks, { key: "steps", normalizers: normalize });
  const timeoutMs = checks.duration(["timeout"], raw.timeout, true);
  const limits = raw.limits
    ? limitsOf(raw.limits, (message) => checks.report(["limits", "memory"], message))
    : config?.limits;
  const env = raw.env || config?.env ? { ...config?.env, ...raw.env } : undefined;
  const python = raw.python !== undefined
    ? resolveStatedPath(raw.python, file, true)
    : config?.python;
  const hashSeed = raw.hash_seed ?? config?.hashSeed;
  const scenario: Scenario = {
    name: raw.name ?? basename(file, extname(file)),
    file,
    description: raw.description,
    tags: raw.tags ?? [],
    python,
    env,
    cwd: raw.cwd !== undefined
      ? resolveStatedPath(raw.cwd, file)
      : config?.cwd ?? dirname(resolve(file)),
    ...(raw.timeout !== undefined
      ? {
        timeoutMs,
        timeoutSource: `the file's timeout: (${file}:${locate(source, ["timeout"]).line})`,
      }
      : config?.timeoutMs !== undefined
      ? { timeoutMs: config.timeoutMs, timeoutSource: config.timeoutSource }
      : {}),
    ...(hashSeed === undefined ? {} : { hashSeed }),
    ...(limits ? { limits } : {}),
    ...(config && config.setup.length > 0 ? { setup: config.setup, config: config.file } : {}),
    steps,
  };
  if (issues.length > 0) throw new ScenarioValidationError(issues);
  sources.set(scenario, text);
  return scenario;
}
