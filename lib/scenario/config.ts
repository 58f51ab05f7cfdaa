/**
 * The project config file, `pyrepl3.yaml` (or `.yml`, `.json`): defaults for every scenario file
 * in its directory and below (`python`, `cwd`, `env`, `timeout`, `normalize`, `hash_seed`,
 * `limits`) and `setup:` steps run at the start of each of them. The nearest one upward from a
 * scenario file applies; the search stops at a directory holding `.git`, or at the root.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { DOCTEST_OPTION_NAMES } from "../docs/option_names.ts";
import type { ResourceLimits } from "../options.ts";
import { parseDocumentText, readDocumentText } from "./document.ts";
import { type ScenarioIssue, ScenarioValidationError } from "./errors.ts";
import {
  buildSteps,
  DEFAULT_SESSION,
  fileChecks,
  limitsOf,
  type RawLimits,
  type RawStep,
} from "./steps.ts";
import type { Normalizer, Step } from "./types.ts";
import { locate, validateAgainstSchema } from "./validate.ts";

/** The names a project config file may have, in the order they are looked for. */
export const CONFIG_FILE_NAMES = ["pyrepl3.yaml", "pyrepl3.yml", "pyrepl3.json"];

/** A loaded project config file, its paths resolved from its own directory. */
export interface ProjectConfig {
  /** The config file's path. */
  file: string;
  /** The interpreter: a name on PATH, or a path resolved from the config file's directory. */
  python?: string;
  /** The working directory, resolved from the config file's directory. */
  cwd?: string;
  /** Environment variables; a scenario's `env` is merged over them. */
  env?: Record<string, string>;
  /** The default step timeout, in milliseconds. */
  timeoutMs?: number;
  /** Where the timeout was set, for timeout messages. */
  timeoutSource?: string;
  /** The normalizers of scenarios that name none. */
  normalize?: Normalizer[];
  /** PYTHONHASHSEED of scenarios that name none. */
  hashSeed?: number | "random";
  /** Resource limits of scenarios that name none. */
  limits?: ResourceLimits;
  /** Steps run in the `main` session at the start of every scenario. */
  setup: Step[];
  /** A directory under it expands to documents too (`docs: true`, as `--docs`). */
  docs?: boolean;
  /** doctest option flags of its documents' examples (`doctest_options:`, as `doctest -o`). */
  doctestOptions?: string[];
}

interface RawConfig {
  python?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeout?: string | number;
  normalize?: Normalizer[];
  hash_seed?: number | "random";
  limits?: RawLimits;
  setup?: RawStep[];
  docs?: boolean;
  doctest_options?: string[] | string;
}

/**
 * A path as the file that states it means it: relative to that file's directory. A `python:`
 * without a `/` is a command name looked up on PATH and stays as it is.
 *
 * @example
 * ```ts
 * import { resolveStatedPath } from "./config.ts";
 * if (resolveStatedPath(".venv/bin/python", "/p/s/a.yaml", true) !== "/p/s/.venv/bin/python") {
 *   throw new Error("resolve");
 * }
 * if (resolveStatedPath("python3", "/p/s/a.yaml", true) !== "python3") throw new Error("name");
 * ```
 */
export function resolveStatedPath(path: string, statedIn: string, command = false): string {
  if (command && !path.includes("/")) return path;
  return isAbsolute(path) ? path : resolve(dirname(resolve(statedIn)), path);
}

/**
 * Parses and validates config text as if it were the file `file`.
 *
 * @throws {ScenarioValidationError} with every problem's line and column.
 */
export function parseConfig(text: string, file: string): ProjectConfig {
  const { data, source } = parseDocumentText(text, file);
  const schemaIssues = validateAgainstSchema(data, source, "config");
  if (schemaIssues.length > 0) throw new ScenarioValidationError(schemaIssues);
  const raw = (data ?? {}) as RawConfig;
  const issues: ScenarioIssue[] = [];
  const checks = fileChecks(source, issues);
  checks.checkNormalizers(["normalize"], raw.normalize);
  const setup = buildSteps(raw.setup ?? [], checks, {
    key: "setup",
    normalizers: raw.normalize ?? [],
    session: DEFAULT_SESSION,
    file,
  });
  const timeoutMs = checks.duration(["timeout"], raw.timeout, true);
  const config: ProjectConfig = {
    file,
    ...(raw.python === undefined ? {} : { python: resolveStatedPath(raw.python, file, true) }),
    ...(raw.cwd === undefined ? {} : { cwd: resolveStatedPath(raw.cwd, file) }),
    ...(raw.env === undefined ? {} : { env: raw.env }),
    ...(timeoutMs === undefined ? {} : {
      timeoutMs,
      timeoutSource: `the config file's timeout: (${file}:${locate(source, ["timeout"]).line})`,
    }),
    ...(raw.normalize === undefined ? {} : { normalize: raw.normalize }),
    ...(raw.hash_seed === undefined ? {} : { hashSeed: raw.hash_seed }),
    ...(raw.limits === undefined ? {} : {
      limits: limitsOf(raw.limits, (message) => checks.report(["limits", "memory"], message)),
    }),
    setup,
    ...(raw.docs === undefined ? {} : { docs: raw.docs }),
    ...(raw.doctest_options === undefined ? {} : {
      doctestOptions: doctestOptionList(
        raw.doctest_options,
        (message) => checks.report(["doctest_options"], message),
      ),
    }),
  };
  if (issues.length > 0) throw new ScenarioValidationError(issues);
  return config;
}

/** `doctest_options:` as a list: a string holds the names joined by commas, as `doctest -o`. */
function doctestOptionList(value: string[] | string, report: (message: string) => void): string[] {
  if (typeof value !== "string") return value;
  const names = value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of names) {
    if (!DOCTEST_OPTION_NAMES.includes(name)) {
      report(`unknown doctest option "${name}"; one of ${DOCTEST_OPTION_NAMES.join(", ")}`);
    }
  }
  return names;
}

/**
 * Finds and loads the config file that applies to each scenario file, reading each directory
 * and each config file once (so a broken config is reported once, not per scenario).
 *
 * @example
 * ```ts
 * import { ConfigFinder } from "./config.ts";
 * const config = await new ConfigFinder().find("scenarios/greeting.yaml");
 * console.log(config?.file ?? "no pyrepl3.yaml");
 * ```
 */
export class ConfigFinder {
  readonly #byDir = new Map<string, Promise<string | undefined>>();
  readonly #configs = new Map<string, Promise<ProjectConfig>>();

  /**
   * The config that applies to `scenarioFile`, or undefined when there is none.
   *
   * @throws {ScenarioValidationError} when the config file is invalid.
   */
  async find(scenarioFile: string): Promise<ProjectConfig | undefined> {
    const file = await this.#configFileFrom(dirname(resolve(scenarioFile)));
    if (file === undefined) return undefined;
    let config = this.#configs.get(file);
    if (!config) {
      config = readDocumentText(file).then((text) => parseConfig(text, file));
      this.#configs.set(file, config);
    }
    return await config;
  }

  /**
   * The config file that applies to the files of directory `dir` (the nearest one upward, not
   * above the repository's root), or undefined when there is none.
   */
  configFileFor(dir: string): Promise<string | undefined> {
    return this.#configFileFrom(resolve(dir));
  }

  #configFileFrom(dir: string): Promise<string | undefined> {
    let found = this.#byDir.get(dir);
    if (!found) {
      found = (async () => {
        for (const name of CONFIG_FILE_NAMES) {
          if (await isFile(join(dir, name))) return join(dir, name);
        }
        const parent = dirname(dir);
        if (parent === dir || await exists(join(dir, ".git"))) return undefined;
        return await this.#configFileFrom(parent);
      })();
      this.#byDir.set(dir, found);
    }
    return found;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}
