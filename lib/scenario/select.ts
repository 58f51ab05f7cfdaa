/**
 * Loading a set of scenario files, and choosing which of them to run: by name, by tag, by shard.
 *
 * @module
 */

import { InvalidOptionError } from "../errors.ts";
import { discoverScenarioFiles } from "./discover.ts";
import { type ScenarioIssue, ScenarioValidationError } from "./errors.ts";
import { loadScenarioUnder } from "./load.ts";
import { ConfigFinder } from "./config.ts";
import type { Scenario } from "./types.ts";
import { balanceShards } from "./shard_durations.ts";
import { type DocumentLoadOptions, type DocumentSource, documentSource } from "../docs/sources.ts";
import { readDocumentText } from "./document.ts";
import { join } from "node:path";

/** How `loadScenarios()` finds and reads documents beside scenario files. */
export interface LoadOptions {
  /** Directories expand to documents too (`--docs`); default: when their `pyrepl3.yaml` says `docs: true`. */
  docs?: boolean;
  /** Take Python modules for their docstring examples (`--doctest-modules`). Default false. */
  doctestModules?: boolean;
  /** doctest option flags of every document example (`--doctest-options`, as `doctest -o`). */
  doctestOptions?: string[];
  /** The interpreter that finds documents' examples (`--python`); default the config's, else python3. */
  python?: string;
  /** Notebooks: normalize addresses and ANSI codes (`--nb-sanitize`). */
  sanitize?: boolean;
  /** Notebooks: compare the images of outputs too (`--nb-images`). */
  images?: boolean;
}

/** Which scenarios to run. */
export interface SelectOptions {
  /** Keep scenarios whose name matches: a RegExp, a string `/re/flags`, or a substring. */
  filter?: RegExp | string;
  /** Keep scenarios that have at least one of these tags. */
  tags?: string[];
  /**
   * Keep only this shard's part (1-based `index` of `total`): the selected scenarios are sorted by
   * file path and shard `index` takes every `total`-th one starting at position `index - 1`, so
   * the shards of a run partition it whatever order the files were given in.
   */
  shard?: { index: number; total: number };
  /**
   * With `shard`: milliseconds each scenario took in a previous run, keyed by `file` + NUL +
   * `name` (what the CLI's `--durations` reads from a report); the shards are then balanced by
   * time (longest first, unknown ones at the median) instead of by count.
   */
  durations?: ReadonlyMap<string, number>;
}

/**
 * Discovers and loads every scenario that `patterns` name, validating all of them first.
 *
 * @throws {ScenarioValidationError} listing the problems of every invalid file.
 * @example
 * ```ts
 * import { loadScenarios, selectScenarios } from "./select.ts";
 * const all = await loadScenarios(["scenarios/"]);
 * for (const s of selectScenarios(all, { tags: ["input"] })) console.log(s.name);
 * ```
 */
export async function loadScenarios(
  patterns: string[],
  options: LoadOptions = {},
): Promise<Scenario[]> {
  const configs = new ConfigFinder();
  const files = await discoverScenarioFiles(patterns, {
    docs: options.docs ||
      (async (dir) => (await configs.find(join(dir, "pyrepl3.yaml")))?.docs === true),
    doctestModules: options.doctestModules,
  });
  const scenarios: Scenario[] = [];
  const issues: ScenarioIssue[] = [];
  const seen = new Set<string>();
  await prefetch(files, options, configs);
  for (const file of files) {
    try {
      const document = documentSource(file);
      if (document === undefined) scenarios.push(await loadScenarioUnder(file, configs));
      else {
        const config = await configs.find(file);
        scenarios.push(
          ...await document.load(file, await readDocumentText(file), { ...options, config }),
        );
      }
    } catch (e) {
      if (!(e instanceof ScenarioValidationError)) throw e;
      // A broken pyrepl3.yaml fails every scenario under it: say so once.
      for (const issue of e.issues) {
        const id = `${issue.file}:${issue.line}:${issue.column}:${issue.message}`;
        if (!seen.has(id)) issues.push(issue);
        seen.add(id);
      }
    }
  }
  if (issues.length > 0) throw new ScenarioValidationError(issues);
  return scenarios;
}

/** Tells each document kind which of its files the run loads, so it can read them in one go. */
async function prefetch(files: string[], options: LoadOptions, configs: ConfigFinder) {
  const byKind = new Map<DocumentSource, { path: string; options: DocumentLoadOptions }[]>();
  for (const path of files) {
    const source = documentSource(path);
    if (source?.prefetch === undefined) continue;
    let config;
    try {
      config = await configs.find(path);
    } catch {
      continue; // a broken pyrepl3.yaml is reported by the load that follows
    }
    byKind.set(source, [...(byKind.get(source) ?? []), { path, options: { ...options, config } }]);
  }
  for (const [source, documents] of byKind) source.prefetch!(documents);
}

/**
 * Returns the scenarios to run, in their given order: those matching `filter` and `tags`, then
 * this shard's part of them.
 *
 * @example
 * ```ts
 * import { loadScenarios, selectScenarios } from "./select.ts";
 * const all = await loadScenarios(["scenarios/"]);
 * const mine = selectScenarios(all, { shard: { index: 1, total: 2 } });
 * ```
 */
export function selectScenarios(scenarios: Scenario[], options: SelectOptions = {}): Scenario[] {
  const filter = toRegExp(options.filter);
  let selected = scenarios.filter((s) =>
    (filter === undefined || filter.test(s.name)) &&
    (options.tags === undefined || options.tags.length === 0 ||
      options.tags.some((t) => s.tags.includes(t)))
  );
  if (options.shard) {
    const { index, total } = options.shard;
    if (
      !Number.isInteger(total) || total < 1 || !Number.isInteger(index) || index < 1 ||
      index > total
    ) {
      throw new InvalidOptionError(
        `invalid shard ${index}/${total}: expected INDEX/TOTAL with 1 <= INDEX <= TOTAL, e.g. 1/3`,
      );
    }
    const order = [...selected].sort((a, b) => compare(a.file, b.file) || compare(a.name, b.name));
    const mine = new Set(
      options.durations
        ? balanceShards(order, options.durations, total).shards[index - 1]
        : order.filter((_, i) => i % total === index - 1),
    );
    selected = selected.filter((s) => mine.has(s));
  }
  return selected;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toRegExp(filter: RegExp | string | undefined): RegExp | undefined {
  if (filter === undefined || filter instanceof RegExp) return filter;
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(filter);
  if (literal) return new RegExp(literal[1], literal[2]);
  return new RegExp(filter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}
