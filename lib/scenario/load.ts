/**
 * Reads a scenario file (YAML or JSON, one schema), validates it, and builds a `Scenario`.
 *
 * @module
 */

import { basename, dirname, extname, resolve } from "node:path";
import { type Document, LineCounter, parseDocument, visit } from "npm:yaml@2.9.1";
import type { TransactionPolicy } from "../results.ts";
import { parseDuration } from "./duration.ts";
import { MAX_TIMER_MS, type ResourceLimits } from "../options.ts";
import {
  InvalidRegexError,
  type ScenarioIssue,
  ScenarioValidationError,
  TextFileError,
} from "./errors.ts";
import { readTextFileStrict } from "./read_text.ts";
import { compileRegex } from "./regex.ts";
import type {
  ErrorExpectation,
  Expectation,
  InputEntry,
  Normalizer,
  Scenario,
  Step,
  TextExpectation,
} from "./types.ts";
import { locate, type SourceMap, validateAgainstSchema } from "./validate.ts";

/** The session a step runs in when it names none. */
export const DEFAULT_SESSION = "main";

/**
 * The most alias uses a document may expand to (yaml's `maxAliasCount`): a few aliases that
 * each repeat the one before ("billion laughs") would otherwise expand into gigabytes.
 */
export const MAX_ALIAS_COUNT = 100;

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
 * Loads, parses and validates a scenario file.
 *
 * @throws {ScenarioValidationError} when the file is not valid, with every problem's line and column.
 * @example
 * ```ts
 * import { loadScenario } from "./load.ts";
 * const scenario = await loadScenario("scenarios/greeting.yaml");
 * console.log(scenario.name, scenario.steps.length);
 * ```
 */
export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readTextFileStrict(path);
  } catch (e) {
    if (!(e instanceof TextFileError)) throw e;
    const { line, column, reason: message } = e;
    throw new ScenarioValidationError([{ file: path, line, column, message }]);
  }
  return parseScenario(text, path);
}

/**
 * Parses and validates scenario text as if it were the file `file`.
 *
 * @throws {ScenarioValidationError} when the text is not a valid scenario.
 */
export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  if (extname(file).toLowerCase() === ".json") checkJsonSyntax(text, file);
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioValidationError(doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, message: `invalid YAML: ${e.message}` };
    }));
  }
  const data = toData(doc, lineCounter, file);
  const source: SourceMap = { doc, lineCounter, file };
  const schemaIssues = validateAgainstSchema(data, source);
  if (schemaIssues.length > 0) throw new ScenarioValidationError(schemaIssues);
  const issues: ScenarioIssue[] = [];
  const scenario = build(data as RawScenario, source, issues);
  if (issues.length > 0) throw new ScenarioValidationError(issues);
  sources.set(scenario, text);
  return scenario;
}

/** The document as plain data; too many alias expansions are the file's error, at its first alias. */
function toData(doc: Document, lineCounter: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    let at = 0;
    visit(doc, {
      Alias(_key, node) {
        at = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const { line, col } = lineCounter.linePos(at);
    const message = /alias count/i.test((e as Error).message)
      ? `YAML aliases expand to more than ${MAX_ALIAS_COUNT} copies ("billion laughs"); ` +
        `write the repeated values out`
      : `invalid YAML: ${(e as Error).message}`;
    throw new ScenarioValidationError([{ file, line, column: col, message }]);
  }
}

function checkJsonSyntax(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    let line = 1, column = 1;
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    if (lc) [line, column] = [Number(lc[1]), Number(lc[2])];
    else if (pos) {
      const before = text.slice(0, Number(pos[1])).split("\n");
      [line, column] = [before.length, before[before.length - 1].length + 1];
    }
    const what = message.replace(/\s*(in JSON )?at position \d+.*$/, "").replace(
      /\s*\(line.*\)$/,
      "",
    );
    throw new ScenarioValidationError([{ file, line, column, message: `invalid JSON: ${what}` }]);
  }
}

// The shapes the schema guarantees.
type RawText = TextExpectation;
interface RawExpect {
  status?: Expectation["status"];
  stdout?: RawText;
  stderr?: RawText;
  value?: unknown;
  repr?: RawText;
  error?: string | ErrorExpectation;
  duration?: { max: string | number };
}
interface RawStep {
  exec?: string;
  inputs?: InputEntry[];
  transaction?: TransactionPolicy;
  timeout?: string | number;
  interrupt_after?: string | number;
  normalize?: Normalizer[];
  session?: string;
  expect?: RawExpect;
  checkpoint?: string;
  restore?: string;
  commit?: true;
  rollback?: true;
  restart?: true;
}
interface RawScenario {
  name?: string;
  description?: string;
  tags?: string[];
  python?: string;
  env?: Record<string, string>;
  limits?: { memory?: string | number; cpu_seconds?: number; open_files?: number };
  cwd?: string;
  timeout?: string | number;
  hash_seed?: number | "random";
  normalize?: Normalizer[];
  steps: RawStep[];
}

function build(raw: RawScenario, source: SourceMap, issues: ScenarioIssue[]): Scenario {
  const report = (path: (string | number)[], message: string) =>
    issues.push({ file: source.file, ...locate(source, path), message });
  const duration = (path: (string | number)[], value: string | number | undefined) => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) {
      report(
        path,
        `invalid duration ${JSON.stringify(value)}: expected e.g. 10s, 500ms, 2m or seconds`,
      );
    } else if (ms > MAX_TIMER_MS) {
      report(
        path,
        `duration ${JSON.stringify(value)} is too long: at most 24.8 days (2147483647ms)`,
      );
      return undefined;
    }
    return ms;
  };
  const checkRegex = (path: (string | number)[], pattern: string, replace?: string) => {
    try {
      const regex = compileRegex(pattern);
      if (replace !== undefined) regex.checkReplacement(replace);
    } catch (e) {
      if (!(e instanceof InvalidRegexError)) throw e;
      report(path, e.message);
    }
  };
  const checkText = (path: (string | number)[], text: RawText | undefined) => {
    if (typeof text === "object" && text.matches !== undefined) {
      checkRegex([...path, "matches"], text.matches);
    }
  };
  const checkNormalizers = (path: (string | number)[], list: Normalizer[] | undefined) =>
    (list ?? []).forEach((n, i) => {
      if (typeof n === "object") checkRegex([...path, i, "regex"], n.regex, n.replace);
    });

  checkNormalizers(["normalize"], raw.normalize);
  const fileNormalizers = raw.normalize ?? [];
  const checkpoints = new Set<string>();
  const steps: Step[] = raw.steps.map((s, index) => {
    const path = ["steps", index];
    const base = { index, ...locate(source, path), session: s.session ?? DEFAULT_SESSION };
    if (s.exec !== undefined) {
      const e = s.expect ?? {};
      const ep = [...path, "expect"];
      for (const key of ["stdout", "stderr", "repr"] as const) checkText([...ep, key], e[key]);
      const error = typeof e.error === "string" ? { type: e.error } : e.error;
      if (error?.message !== undefined) checkText([...ep, "error", "message"], error.message);
      checkNormalizers([...path, "normalize"], s.normalize);
      return {
        ...base,
        kind: "exec",
        code: s.exec,
        inputs: s.inputs,
        transaction: s.transaction,
        timeoutMs: duration([...path, "timeout"], s.timeout),
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
        },
      };
    }
    if (s.checkpoint !== undefined) {
      checkpoints.add(s.checkpoint);
      return { ...base, kind: "checkpoint", name: s.checkpoint };
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

  const file = source.file;
  return {
    name: raw.name ?? basename(file, extname(file)),
    file,
    description: raw.description,
    tags: raw.tags ?? [],
    python: raw.python,
    env: raw.env,
    cwd: resolve(dirname(resolve(file)), raw.cwd ?? "."),
    timeoutMs: duration(["timeout"], raw.timeout),
    ...(raw.timeout === undefined
      ? {}
      : { timeoutSource: `the file's timeout: (${file}:${locate(source, ["timeout"]).line})` }),
    ...(raw.hash_seed === undefined ? {} : { hashSeed: raw.hash_seed }),
    ...(raw.limits
      ? { limits: limitsOf(raw.limits, (message) => report(["limits", "memory"], message)) }
      : {}),
    steps,
  };
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
function limitsOf(
  raw: NonNullable<RawScenario["limits"]>,
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
