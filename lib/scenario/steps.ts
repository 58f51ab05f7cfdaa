/**
 * Building a file's steps from their validated raw form: durations in milliseconds, regexes
 * compiled once to report bad ones, normalizers merged, checkpoints checked. Scenario files
 * (`steps:`) and config files (`setup:`) share it.
 *
 * @module
 */

import { snapshotPathProblem } from "./snapshot.ts";
import { mimeKind } from "../report/_bundle.ts";
import type { TransactionPolicy } from "../results.ts";
import { MAX_TIMER_MS, type ResourceLimits } from "../options.ts";
import { parseDuration } from "./duration.ts";
import { InvalidRegexError, type ScenarioIssue } from "./errors.ts";
import { compileRegex } from "./regex.ts";
import type {
  BundleExpectation,
  ErrorExpectation,
  Expectation,
  InputEntry,
  Normalizer,
  Step,
  TextExpectation,
} from "./types.ts";
import { locate, type SourceMap } from "./validate.ts";

/** The session a step runs in when it names none. */
export const DEFAULT_SESSION = "main";

// The shapes the schema guarantees.
/** A text expectation as written. */
export type RawText = TextExpectation;
/** An `expect` mapping as written. */
export interface RawExpect {
  status?: Expectation["status"];
  stdout?: RawText;
  stderr?: RawText;
  value?: unknown;
  repr?: RawText;
  error?: string | ErrorExpectation;
  duration?: { max: string | number };
  display?: BundleExpectation[];
  data?: BundleExpectation;
}
/** One step as the schema guarantees it. */
export interface RawStep {
  exec?: string;
  inputs?: InputEntry[];
  transaction?: TransactionPolicy;
  timeout?: string | number;
  interrupt_after?: string | number;
  normalize?: Normalizer[];
  session?: string;
  expect?: RawExpect;
  checkpoint?: string | { name: string; path: string };
  restore?: string | { path: string };
  commit?: true;
  rollback?: true;
  restart?: true;
}
/** The `limits` key as written. */
export interface RawLimits {
  memory?: string | number;
  cpu_seconds?: number;
  open_files?: number;
}

/** The keys a scenario file may have, as the schema guarantees them. */
export interface RawScenario {
  name?: string;
  description?: string;
  tags?: string[];
  python?: string;
  env?: Record<string, string>;
  limits?: RawLimits;
  cwd?: string;
  timeout?: string | number;
  hash_seed?: number | "random";
  normalize?: Normalizer[];
  steps: RawStep[];
}

/** A path inside the document: keys and indexes. */
export type DocPath = (string | number)[];

/** Reports problems of one file at their line and column, and converts what needs checking. */
export interface FileChecks {
  /** The file the checks report against. */
  source: SourceMap;
  /** Records a problem at `path`. */
  report(path: DocPath, message: string): void;
  /** A duration in milliseconds; an invalid or too long one is reported (then undefined). */
  /** `positive`: 0 is refused too (a timeout of 0 would fail every step when it ran). */
  duration(
    path: DocPath,
    value: string | number | undefined,
    positive?: boolean,
  ): number | undefined;
  /** Reports the normalizers whose regex does not compile. */
  checkNormalizers(path: DocPath, list: Normalizer[] | undefined): void;
}

/** The checks of the file `source`, adding their problems to `issues`. */
export function fileChecks(source: SourceMap, issues: ScenarioIssue[]): FileChecks {
  const report = (path: DocPath, message: string) =>
    issues.push({ file: source.file, ...locate(source, path), message });
  const duration = (path: DocPath, value: string | number | undefined, positive = false) => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) {
      report(
        path,
        `invalid duration ${JSON.stringify(value)}: expected e.g. 10s, 500ms, 2m or seconds`,
      );
    } else if (positive && ms === 0) {
      report(path, `a timeout of ${JSON.stringify(value)} would stop every step: give e.g. 10s`);
      return undefined;
    } else if (ms > MAX_TIMER_MS) {
      report(
        path,
        `duration ${JSON.stringify(value)} is too long: at most 24.8 days (2147483647ms)`,
      );
      return undefined;
    }
    return ms;
  };
  const checkNormalizers = (path: DocPath, list: Normalizer[] | undefined) =>
    (list ?? []).forEach((n, i) => {
      if (typeof n === "object") checkRegex(report, [...path, i, "regex"], n.regex, n.replace);
    });
  return { source, report, duration, checkNormalizers };
}

function checkRegex(
  report: FileChecks["report"],
  path: DocPath,
  pattern: string,
  replace?: string,
): void {
  try {
    const regex = compileRegex(pattern);
    if (replace !== undefined) regex.checkReplacement(replace);
  } catch (e) {
    if (!(e instanceof InvalidRegexError)) throw e;
    report(path, e.message);
  }
}

/** Options of `buildSteps()`. */
export interface BuildStepsOptions {
  /** The key the steps are under: `steps`, or `setup` in a config file. */
  key: string;
  /** The normalizers every exec step starts with (the file's). */
  normalizers: Normalizer[];
  /** Every step runs in this session, whatever it names (setup steps run in `main`). */
  session?: string;
  /** The file to record on each step when it is not the scenario's own (setup steps). */
  file?: string;
}

/** Builds the steps of `raw` (found under `options.key`), reporting problems through `checks`. */
export function buildSteps(
  raw: RawStep[],
  checks: FileChecks,
  options: BuildStepsOptions,
): Step[] {
  const { report, duration } = checks;
  const source = checks.source;
  const checkText = (path: DocPath, text: RawText | undefined) => {
    if (typeof text === "object" && text.matches !== undefined) {
      checkRegex(report, [...path, "matches"], text.matches);
    }
  };
  const checkSnapshot = (path: DocPath, want: unknown) => {
    if (mimeKind(String(path.at(-1))) !== "binary") return; // a JSON value may have a snapshot key
    const snapshot = (want as { snapshot?: unknown } | null)?.snapshot;
    const problem = typeof snapshot === "string" ? snapshotPathProblem(snapshot) : undefined;
    if (problem !== undefined) report([...path, "snapshot"], problem);
  };
  const fileNormalizers = options.normalizers;
  const checkpoints = new Set<string>();
  return raw.map((s, index): Step => {
    const path = [options.key, index];
    const base = {
      index,
      ...locate(source, path),
      session: options.session ?? s.session ?? DEFAULT_SESSION,
      ...(options.file === undefined ? {} : { file: options.file }),
    };
    if (s.exec !== undefined) {
      const e = s.expect ?? {};
      const ep = [...path, "expect"];
      for (const key of ["stdout", "stderr", "repr"] as const) checkText([...ep, key], e[key]);
      e.display?.forEach((bundle, i) => {
        for (const [mime, want] of Object.entries(bundle)) {
          checkText([...ep, "display", i, mime], want as RawText);
          checkSnapshot([...ep, "display", i, mime], want);
        }
      });
      for (const [mime, want] of Object.entries(e.data ?? {})) {
        checkText([...ep, "data", mime], want as RawText);
        checkSnapshot([...ep, "data", mime], want);
      }
      const error = typeof e.error === "string" ? { type: e.error } : e.error;
      if (error?.message !== undefined) checkText([...ep, "error", "message"], error.message);
      checks.checkNormalizers([...path, "normalize"], s.normalize);
      return {
        ...base,
        kind: "exec",
        code: s.exec,
        inputs: s.inputs,
        transaction: s.transaction,
        timeoutMs: duration([...path, "timeout"], s.timeout, true),
        interruptAfterMs: duration([...path, "interrupt_after"], s.interrupt_after),
        normalize: [...fileNormalizers, ...(s.normalize ?? [])],
        expect: {
          status: e.status,
          stdout: e.stdout,
          stderr: e.stderr,
          value: e.value,
          hasValue: "value" in e,
          repr: e.repr,
          error,
          durationMaxMs: duration([...ep, "duration", "max"], e.duration?.max),
          ...(e.display !== undefined ? { display: e.display } : {}),
          ...(e.data !== undefined ? { data: e.data } : {}),
        },
      };
    }
    if (s.checkpoint !== undefined) {
      if (typeof s.checkpoint === "object") {
        checkpoints.add(s.checkpoint.name);
        return { ...base, kind: "checkpoint", name: s.checkpoint.name, path: s.checkpoint.path };
      }
      checkpoints.add(s.checkpoint);
      return { ...base, kind: "checkpoint", name: s.checkpoint };
    }
    if (typeof s.restore === "object") {
      return { ...base, kind: "restore", name: s.restore.path, path: s.restore.path };
    }
    if (s.restore !== undefined) {
      if (!checkpoints.has(s.restore)) {
        const known = [...checkpoints].map((c) => `'${c}'`).join(", ");
        report(
          [...path, "restore"],
          `restore of checkpoint '${s.restore}', which no earlier step takes` +
            (known ? ` (known: ${known})` : " (add a 'checkpoint' step before it)"),
        );
      }
      return { ...base, kind: "restore", name: s.restore };
    }
    if (s.commit) return { ...base, kind: "commit" };
    if (s.rollback) return { ...base, kind: "rollback" };
    return { ...base, kind: "restart" };
  });
}

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB|K|M|G)?\s*$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** The `limits` key as Session options; a bad memory size is reported. */
export function limitsOf(
  raw: RawLimits,
  report: (message: string) => void,
): ResourceLimits {
  const limits: ResourceLimits = {};
  if (raw.memory !== undefined) {
    const match = typeof raw.memory === "number" ? null : SIZE.exec(raw.memory);
    const bytes = typeof raw.memory === "number"
      ? raw.memory
      : match
      ? Math.round(Number(match[1]) * SIZE_UNITS[(match[2] ?? "b").toLowerCase()])
      : NaN;
    if (!Number.isSafeInteger(bytes) || bytes <= 0) {
      report(
        `invalid memory limit ${JSON.stringify(raw.memory)}: expected bytes or e.g. 512MB, 1GiB`,
      );
    } else limits.memoryBytes = bytes;
  }
  if (raw.cpu_seconds !== undefined) limits.cpuSeconds = raw.cpu_seconds;
  if (raw.open_files !== undefined) limits.openFiles = raw.open_files;
  return limits;
}
