/**
 * Shared pieces of the benchmarks: timing loops, percentiles, the machine header and the result table.
 * Private to bench/ (never re-exported from mod.ts).
 *
 * @module
 */
import { Session } from "../lib/session.ts";
import { resolvePython } from "../lib/python.ts";

/** The interpreter command the benchmarks use: `$BENCH_PYTHON`, else `python3` (the Session default). */
export const PYTHON_COMMAND: string = Deno.env.get("BENCH_PYTHON") ?? "python3";

/** Percentiles of a list of milliseconds. */
export interface Summary {
  p50: number;
  p99: number;
  n: number;
}

/** The nearest-rank percentile `q` (0..1) of `samples`. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** p50 and p99 of `samples`. */
export function summarize(samples: number[]): Summary {
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), n: samples.length };
}

/** Runs `fn` `warmup` times untimed, then `iterations` times timed; returns the times in ms. */
export async function sample(
  fn: () => Promise<unknown>,
  options: { warmup: number; iterations: number },
): Promise<number[]> {
  for (let i = 0; i < options.warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** Times `fn` once, in ms; `after` runs untimed (cleanup). */
export async function timeOnce<T>(
  fn: () => Promise<T>,
  after?: (value: T) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  const value = await fn();
  const elapsed = performance.now() - start;
  await after?.(value);
  return elapsed;
}

/** Times cold `new Session().start()` calls (a keeper and its first interpreter each), shutdown untimed. */
export async function coldSessionStartTimes(
  counts: { warmup: number; iterations: number },
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < counts.warmup + counts.iterations; i++) {
    const session = new Session({ python: PYTHON_COMMAND });
    try {
      const elapsed = await timeOnce(() => session.start());
      if (i >= counts.warmup) times.push(elapsed);
    } finally {
      await session.shutdown();
    }
  }
  return times;
}

/** The interpreter binary behind PYTHON_COMMAND and its version line. */
export interface PythonInfo {
  executable: string;
  version: string;
}

/** Resolves PYTHON_COMMAND once (as lib/python.ts does for sessions) and asks its version. */
export async function pythonInfo(): Promise<PythonInfo> {
  const executable = await resolvePython(PYTHON_COMMAND);
  const output = await new Deno.Command(executable, {
    args: ["-c", "import sys; print(sys.version.split()[0])"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return { executable, version: new TextDecoder().decode(output.stdout).trim() };
}

/** True when `module` imports in the benchmark's Python. */
export async function hasModule(executable: string, module: string): Promise<boolean> {
  const output = await new Deno.Command(executable, {
    args: ["-c", `import ${module}`],
    stdout: "null",
    stderr: "null",
  }).output();
  return output.success;
}

/** Runs `executable args` to completion from Deno (the way a cold start is measured). */
export async function runPython(executable: string, args: string[]): Promise<void> {
  const status = await new Deno.Command(executable, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  })
    .spawn().status;
  if (!status.success) {
    throw new Error(`${executable} ${args.join(" ")} failed (exit ${status.code})`);
  }
}

/** Prints the title and the machine and Python the figures come from. */
export async function printHeader(title: string): Promise<PythonInfo> {
  const python = await pythonInfo();
  let cpu = "";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "";
  } catch {
    // not Linux: the core count and Deno.build say enough
  }
  const b = Deno.build;
  console.log(`# ${title}`);
  console.log(
    `machine: ${navigator.hardwareConcurrency} cores${
      cpu ? ` (${cpu})` : ""
    }, ${b.os} ${b.arch} (${b.target}), ` +
      `deno ${Deno.version.deno}`,
  );
  console.log(`python:  ${python.version} at ${python.executable}`);
  console.log("");
  return python;
}

/** Prints a progress note to stderr, so stdout stays the pasteable result. */
export function note(message: string): void {
  console.error(`.. ${message}`);
}

/** One line of a result table: our figure beside the floor or peer measured in the same run. */
export interface Row {
  /** What is measured. */
  measure: string;
  /** Our figure, formatted. */
  ours: string;
  /** The floor or peer it is compared with. */
  baseline: string;
  /** The baseline's figure, formatted. */
  baselineValue: string;
  /** ours / baseline, formatted. */
  ratio: string;
  /** The goal, as text. */
  target: string;
  /** `yes`/`no` against the target this run (informative, never asserted), or empty. */
  met: string;
}

const COLUMNS: [keyof Row, string][] = [
  ["measure", "measure"],
  ["ours", "ours"],
  ["baseline", "baseline"],
  ["baselineValue", "baseline value"],
  ["ratio", "ratio"],
  ["target", "target"],
  ["met", "met"],
];
const RIGHT: (keyof Row)[] = ["ours", "baselineValue", "ratio"];

/** Prints `rows` as an aligned table, then the same as a Markdown table. */
export function printTables(rows: Row[], footnotes: string[] = []): void {
  const widths = COLUMNS.map(([key, title]) =>
    Math.max(title.length, ...rows.map((r) => r[key].length))
  );
  const line = (cells: string[]) => cells.join("  ").trimEnd();
  const pad = (key: keyof Row, text: string, width: number) =>
    RIGHT.includes(key) ? text.padStart(width) : text.padEnd(width);
  console.log(line(COLUMNS.map(([key, title], i) => pad(key, title, widths[i]))));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) {
    console.log(line(COLUMNS.map(([key], i) => pad(key, row[key], widths[i]))));
  }
  for (const text of footnotes) console.log(text);
  console.log("");
  console.log("Markdown:");
  console.log("");
  console.log(`| ${COLUMNS.map(([, title]) => title).join(" | ")} |`);
  console.log(`|${COLUMNS.map(([key]) => (RIGHT.includes(key) ? "---:" : "---")).join("|")}|`);
  for (const row of rows) {
    console.log(`| ${COLUMNS.map(([key]) => row[key].replaceAll("|", "\\|")).join(" | ")} |`);
  }
  for (const text of footnotes) console.log(`\n${text}`);
}

/** Formats milliseconds with about three significant digits. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(0)} ms`;
}

/** Formats p50 and p99 as `p50 / p99`. */
export function msPair(summary: Summary): string {
  return `${ms(summary.p50)} / ${ms(summary.p99)}`;
}

/** Formats a ratio as `1.23x`. */
export function ratio(ours: number, baseline: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline === 0) return "n/a";
  const value = ours / baseline;
  if (value < 0.01) return `1/${Math.round(1 / value)}x`;
  return `${value < 0.1 ? value.toFixed(3) : value.toFixed(2)}x`;
}

/** MB/s (1 MB = 2^20 bytes) of `bytes` moved in `millis`. */
export function mbPerSecond(bytes: number, millis: number): number {
  return bytes / 2 ** 20 / (millis / 1000);
}

/** Formats a rate in MB/s. */
export function rate(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(0)} MB/s` : "n/a";
}

/** `yes` when `ok`, else `no`. */
export function met(ok: boolean): string {
  return ok ? "yes" : "no";
}

/** Waits one macrotask turn of about `millis` ms (for polling in benchmarks only). */
export function tick(millis = 1): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
