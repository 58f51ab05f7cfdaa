/**
 * `pyrepl3 --watch PATHS...`: run, then re-run when a scenario file, a project config file or a
 * Python file under the scenarios' working directories changes, as Jest's watch mode does:
 * failed scenarios and those whose files changed run first, the screen is cleared between runs,
 * and `q` quits, `a` runs all, `f` runs the failed ones.
 *
 * @module
 */

import { dirname, resolve, sep } from "node:path";
import { ConfigFinder } from "../scenario/config.ts";
import { runScenarios } from "../scenario/run.ts";
import { loadScenarios, selectScenarios } from "../scenario/select.ts";
import type { Scenario } from "../scenario/types.ts";
import type { RunOptions } from "./args.ts";
import { describeError } from "./errors.ts";
import type { CliIO } from "./io.ts";
import { openReporter } from "./_reporter_output.ts";
import { WatchTriggers } from "./_watch_triggers.ts";
import { documentOptions } from "./_document_options.ts";

/** Clears the screen and its scrollback, and moves the cursor home. */
const CLEAR = "\x1b[2J\x1b[3J\x1b[H";

const HINT = "\nWatching for changes. Press a to run all, f to run failed, q to quit.\n";

/** Runs in watch mode until `q` or SIGINT; returns the exit code (0 for `q`, 130 for SIGINT). */
export async function watchCommand(options: RunOptions, io: CliIO): Promise<number> {
  const roots = await watchRoots(
    options.patterns,
    await loadScenarios(options.patterns, documentOptions(options)).catch(() => []),
  );
  const ignored = options.reporters.flatMap((spec) => spec.file === undefined ? [] : [spec.file]);
  using triggers = new WatchTriggers(roots, ignored);
  let failed = new Set<string>(); // "file\0name" of the scenarios that failed last
  let mode: "all" | "failed" = "all";
  let changed = new Set<string>();
  let first = true;
  while (true) {
    if (!first && io.isTerminal) io.stdout(CLEAR);
    first = false;
    const stop = new AbortController();
    triggers.onQuit = () => stop.abort();
    try {
      const loaded = await loadScenarios(options.patterns, documentOptions(options));
      const selected = selectScenarios(loaded, { filter: options.filter, tags: options.tags });
      const chosen = mode === "failed" ? selected.filter((s) => failed.has(key(s))) : selected;
      const ordered = prioritize(chosen, { failed, changed });
      const outputs = options.reporters.map((spec) =>
        openReporter(spec, { io, total: ordered.length, color: options.color })
      );
      const report = await runScenarios(ordered, {
        timeoutMs: options.timeoutMs,
        python: options.python,
        bail: options.bail,
        jobs: options.jobs,
        ...(options.hashSeed === undefined ? {} : { hashSeed: options.hashSeed }),
        signal: stop.signal,
        onScenarioStart: (s) => outputs.forEach((o) => o.reporter.scenarioStarted(s)),
        onScenarioDone: (s) => outputs.forEach((o) => o.reporter.scenarioDone(s)),
      });
      for (const output of outputs) await output.finish(report);
      const ran = new Set(report.scenarios.map(key));
      failed = new Set([
        ...[...failed].filter((k) => !ran.has(k)),
        ...report.scenarios.filter((s) => s.status === "failed").map(key),
      ]);
    } catch (error) {
      // An invalid file or a missing path: say so and wait for the fix.
      io.stderr(describeError(error).lines.join("\n") + "\n");
    }
    io.stdout(HINT);
    const trigger = await triggers.next();
    switch (trigger.kind) {
      case "quit":
        return trigger.exitCode;
      case "all":
        mode = "all";
        changed = new Set();
        break;
      case "failed":
        mode = "failed";
        changed = new Set();
        break;
      case "change":
        mode = "all";
        changed = trigger.paths;
        break;
    }
  }
}

function key(s: { file: string; name: string }): string {
  return `${resolve(s.file)}\u0000${s.name}`;
}

/**
 * Failed scenarios first, then those whose file changed or under whose working directory a
 * Python file changed, then the rest; each group in its given order.
 */
function prioritize(
  scenarios: Scenario[],
  { failed, changed }: { failed: Set<string>; changed: Set<string> },
): Scenario[] {
  const touched = (s: Scenario) =>
    changed.has(resolve(s.file)) ||
    [...changed].some((p) => p.endsWith(".py") && p.startsWith(resolve(s.cwd) + sep));
  const rank = (s: Scenario) => failed.has(key(s)) ? 0 : touched(s) ? 1 : 2;
  return scenarios.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i).map(
    ({ s }) => s,
  );
}

/**
 * What to watch: each path's directory (a file's parent), the scenarios' working directories
 * (their Python files), and the project config file that applies to each.
 */
async function watchRoots(patterns: string[], scenarios: Scenario[]): Promise<string[]> {
  const roots = new Set<string>(scenarios.map((s) => resolve(s.cwd)));
  for (const pattern of patterns) {
    // A glob's directory is its part before the first wildcard.
    const literal = pattern.split(/[*?[{]/)[0];
    let path = resolve(literal === "" ? "." : literal);
    try {
      if (!(await Deno.stat(path)).isDirectory) path = dirname(path);
    } catch {
      path = dirname(path);
    }
    roots.add(path);
  }
  const configs = new ConfigFinder();
  for (const dir of [...roots]) {
    const config = await configs.configFileFor(dir);
    if (config !== undefined) roots.add(config);
  }
  // A directory inside another one watched recursively would report its events twice.
  const all = [...roots];
  return all.filter((r) => !all.some((o) => o !== r && r.startsWith(o + sep)));
}
