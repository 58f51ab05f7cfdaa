/**
 * Finding scenario files from what a user typed: files, directories and globs.
 *
 * @module
 */

import { basename, resolve } from "node:path";
import { ScenarioNotFoundError } from "./errors.ts";
import { documentSource } from "../docs/sources.ts";

/** Which documents a directory or glob expands to (files named explicitly always run). */
export interface DiscoverOptions {
  /**
   * Expand directories and globs to documents too (`.md`, `.rst`, `.txt`, `.ipynb`): true, or
   * asked per directory (the CLI asks the directory's `pyrepl3.yaml` for `docs: true`). Default false.
   */
  docs?: boolean | ((dir: string) => Promise<boolean>);
  /** Take Python modules (`.py`) for their docstring examples (`--doctest-modules`). Default false. */
  doctestModules?: boolean;
}

/** The extensions of scenario files. */
export const SCENARIO_EXTENSIONS = [".yaml", ".yml", ".json"];

const GLOB_CHARS = /[*?[{]/;

/**
 * Modules a directory does not expand to with `--doctest-modules` (named explicitly, they run):
 * importing them runs a program (`setup.py`, `__main__.py`, which pytest skips too) or needs
 * pytest's own machinery (`conftest.py`).
 */
const NOT_DOCTEST_MODULES = new Set(["setup.py", "__main__.py", "conftest.py"]);

/**
 * Expands files, directories (every `*.yaml`, `*.yml`, `*.json` under it, recursively, sorted)
 * and globs (`*`, `**`, `?`, `[abc]`, `{a,b}`) into scenario file paths, without duplicates, in
 * the order the patterns were given. Hidden directories, `node_modules` and Python environments (a
 * directory holding `pyvenv.cfg` or `conda-meta`) are not searched.
 *
 * @throws {ScenarioNotFoundError} when a path does not exist or a glob matches no scenario file.
 * @example
 * ```ts
 * import { discoverScenarioFiles } from "./discover.ts";
 * const files = await discoverScenarioFiles(["scenarios/", "scenarios/**\/*.json"]);
 * ```
 */
export async function discoverScenarioFiles(
  patterns: string[],
  options: DiscoverOptions = {},
): Promise<string[]> {
  const found: string[] = [];
  const docsIn = async (dir: string) =>
    typeof options.docs === "function" ? await options.docs(dir) : options.docs === true;
  // A document kind is taken from a directory when asked for: modules by --doctest-modules.
  const taken = (docs: boolean) => (file: string) => {
    if (isScenarioFile(file)) return true;
    const source = documentSource(file);
    if (source === undefined) return false;
    if (source.optIn !== "doctestModules") return docs;
    return options.doctestModules === true && !NOT_DOCTEST_MODULES.has(basename(file));
  };
  const seen = new Set<string>();
  // One file however it is spelled (docs/a.md, ./docs/a.md, /abs/docs/a.md): it runs once.
  const add = (file: string) => {
    if (!seen.has(resolve(file))) found.push(file);
    seen.add(resolve(file));
  };
  for (const pattern of patterns) {
    if (GLOB_CHARS.test(pattern)) {
      const named = documentSource(pattern) !== undefined; // a glob like docs/*.md asks for them
      const segments = pattern.split("/");
      const base = segments.slice(0, segments.findIndex((s) => GLOB_CHARS.test(s))).join("/");
      const matches = await withoutReports(
        (await expandGlob(pattern)).filter(taken(named || await docsIn(base || "."))),
      );
      if (matches.length === 0) {
        throw new ScenarioNotFoundError(`no scenario file matches '${pattern}'`);
      }
      matches.forEach(add);
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(pattern);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new ScenarioNotFoundError(`no such file or directory: '${pattern}'`, { cause: e });
      }
      throw e;
    }
    if (info.isDirectory) {
      (await withoutReports((await walk(pattern)).filter(taken(await docsIn(pattern))))).forEach(
        add,
      );
    } else if (documentSource(pattern)?.optIn === "doctestModules" && !options.doctestModules) {
      throw new ScenarioNotFoundError(
        `${pattern} is a Python module: give --doctest-modules to run its docstring examples`,
      );
    } else add(pattern);
  }
  return found;
}

/** The project config file names (`lib/scenario/config.ts`): never scenarios themselves. */
const CONFIG_NAMES = new Set(["pyrepl3.yaml", "pyrepl3.yml", "pyrepl3.json"]);

/** True when `path` has a scenario file extension and is no project config file (`pyrepl3.yaml`). */
export function isScenarioFile(path: string): boolean {
  const lower = path.toLowerCase();
  if (CONFIG_NAMES.has(lower.slice(lower.lastIndexOf("/") + 1))) return false;
  return SCENARIO_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** How a JSON report of pyrepl3 begins (`--reporter json:FILE`), which no scenario file can. */
const JSON_REPORT_START = /^\s*\{\s*"scenarios"\s*:\s*\[/;

/**
 * `files` without the JSON reports of earlier runs: `pyrepl3 . -r json:report.json` leaves one
 * among the scenarios, and the next `pyrepl3 .` took it for an invalid scenario file (exit 2).
 * Only what a directory or glob found: a report named on the command line is still refused.
 */
async function withoutReports(files: string[]): Promise<string[]> {
  const kept: string[] = [];
  for (const file of files) {
    if (!file.toLowerCase().endsWith(".json") || !JSON_REPORT_START.test(await head(file))) {
      kept.push(file);
    }
  }
  return kept;
}

/** The first bytes of `file` as text ("" when it cannot be read: its loading will say why). */
async function head(file: string): Promise<string> {
  try {
    using handle = await Deno.open(file);
    const bytes = new Uint8Array(256);
    const n = await handle.read(bytes);
    return new TextDecoder().decode(bytes.subarray(0, n ?? 0));
  } catch {
    return "";
  }
}

/** Lists the files under `dir`, sorted, as `dir` + `/` + relative path (no prefix for `.`). */
async function walk(dir: string): Promise<string[]> {
  const prefix = dir === "." ? "" : dir.endsWith("/") ? dir : `${dir}/`;
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const files: string[] = [];
  for (const entry of entries) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      if (!entry.name.startsWith(".") && entry.name !== "node_modules" && !isEnvironment(path)) {
        files.push(...await walk(path));
      }
    } else if (entry.isFile) files.push(path);
  }
  return files;
}

/**
 * True for a Python environment (`python -m venv venv` writes `pyvenv.cfg`, conda `conda-meta/`),
 * skipped as pytest skips it: its packages' JSON files are no scenarios, nor their modules' doctests.
 */
function isEnvironment(dir: string): boolean {
  for (const marker of ["pyvenv.cfg", "conda-meta"]) {
    try {
      Deno.statSync(`${dir}/${marker}`);
      return true;
    } catch {
      // not this kind
    }
  }
  return false;
}

async function expandGlob(pattern: string): Promise<string[]> {
  const segments = pattern.split("/");
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const base = segments.slice(0, firstGlob).join("/");
  const regex = globToRegExp(pattern);
  let files: string[];
  try {
    files = await walk(base === "" ? "." : base);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return files.filter((f) => regex.test(f));
}

/**
 * Converts a glob into an anchored RegExp over `/`-separated paths: `**` matches any number of
 * directories, `*` and `?` stay within one, `[...]` is a class, `{a,b}` an alternation.
 *
 * @example
 * ```ts
 * import { globToRegExp } from "./discover.ts";
 * globToRegExp("scenarios/**\/*.yaml").test("scenarios/a/b.yaml"); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  let inGroup = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const slashAfter = glob[i + 2] === "/";
        out += slashAfter ? "(?:[^/]*/)*" : ".*";
        i += slashAfter ? 2 : 1;
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) out += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = end;
      }
    } else if (c === "{") {
      inGroup++;
      out += "(?:";
    } else if (c === "}" && inGroup > 0) {
      inGroup--;
      out += ")";
    } else if (c === "," && inGroup > 0) out += "|";
    else out += c.replace(/[.+^$()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
