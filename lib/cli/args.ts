/**
 * Command-line parsing: `node:util` parseArgs (strict), then validation into a typed command.
 * Every mistake becomes a `UsageError` with a one-line message (exit code 2).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { closest, distance } from "npm:fastest-levenshtein@1.0.16";
import { PyReplError } from "../errors.ts";
import { MAX_HASH_SEED, MAX_TIMER_MS } from "../options.ts";
import { parseDuration } from "../scenario/duration.ts";
import { DOCTEST_OPTION_NAMES } from "../docs/doctest_scenario.ts";
import { isReporterName, REPORTER_NAMES, type ReporterName } from "../report/reporters.ts";
import { DEFAULT_HTML_REPORT } from "../report/html.ts";

/** A mistake on the command line; the CLI prints its message and exits with 2. */
export class UsageError extends PyReplError {
  override name = "UsageError";
}

/** A selected reporter and where it writes. */
export interface ReporterSpec {
  name: ReporterName;
  /** The file it writes to; undefined for stdout. */
  file?: string;
}

/** One of N equal parts of the scenarios (`--shard I/N`). */
export interface Shard {
  /** 1-based part number, 1..total. */
  index: number;
  total: number;
}

/** Everything `pyrepl3 [OPTIONS] PATHS...` was asked to do. */
export interface RunOptions {
  /** Files, directories and globs, as given. */
  patterns: string[];
  /** The reporters, in order; exactly one of them (or none, then pretty is added) on stdout. */
  reporters: ReporterSpec[];
  /** Rewrite failing expectations with the actual outputs (`--update`). */
  update: boolean;
  /** Run only scenarios whose name matches (`--filter`). */
  filter?: RegExp;
  /** Run only scenarios with at least one of these tags (`--tag`); empty for all. */
  tags: string[];
  /** Default step timeout (`--timeout`), overriding the files'. */
  timeoutMs?: number;
  /** The Python interpreter (`--python`), overriding the files'. */
  python?: string;
  /** Stop after the first failing scenario (`--bail`). */
  bail: boolean;
  /** Print the selection instead of running it (`--list`). */
  list: boolean;
  /** Scenarios run at once (`--jobs`). */
  jobs: number;
  /** Run only this part of the selection (`--shard`). */
  shard?: Shard;
  /** A previous JSON or JUnit report whose durations balance `--shard` by time (`--durations`). */
  durations?: string;
  /** Re-run when files change, until `q` (`--watch`). */
  watch?: boolean;
  /** Colours on stdout (`--color`): `auto` (default) decides by terminal, FORCE_COLOR, NO_COLOR. */
  color: "auto" | "always" | "never";
  /** Exit 0 when nothing is selected (`--pass-with-no-tests`); otherwise that fails the run. */
  passWithNoTests: boolean;
  /** Running in CI (`--ci`, or a truthy `CI` variable): `--update` is refused. */
  ci: boolean;
  /** `PYTHONHASHSEED` of every interpreter (`--hash-seed N|random`), overriding the files'. */
  hashSeed?: number | "random";
  /** Directories expand to documents too: Markdown, reST, text (`--docs`). */
  docs?: boolean;
  /** Run the docstring examples of Python modules (`--doctest-modules`). */
  doctestModules?: boolean;
  /** doctest option flags of every document example (`--doctest-options A,B`, as `doctest -o`). */
  doctestOptions?: string[];
  /** Notebooks: normalize addresses, ANSI codes and IPython's default reprs (`--nb-sanitize`). */
  nbSanitize?: boolean;
  /** Notebooks: compare the images of outputs too, PNGs by pixels (`--nb-images`). */
  nbImages?: boolean;
}

/** What `pyrepl3 record FILE` was asked to do. */
export interface RecordOptions {
  /** The scenario file to create or append to. */
  file: string;
  /** The Python interpreter (`--python`). */
  python?: string;
  /** Timeout of each entry (`--timeout`). */
  timeoutMs?: number;
  /** The interpreter's working directory (`--cwd`), written into the file. */
  cwd?: string;
  /** Environment variables (`--env KEY=VALUE`, repeatable), written into the file. */
  env?: Record<string, string>;
  /** `PYTHONHASHSEED` (`--hash-seed N|random`), written into the file. */
  hashSeed?: number | "random";
}

/** What `pyrepl3 merge-junit OUT IN...` was asked to do. */
export interface MergeJunitOptions {
  /** The merged file; `-` for stdout. */
  output: string;
  /** The JUnit files to merge, at least one. */
  inputs: string[];
}

/** What `pyrepl3 merge-reports OUT IN...` was asked to do. */
export interface MergeReportsOptions {
  /** The merged report: HTML for `.html`/`.htm`, JSON for `.json`; `-` for JSON on stdout. */
  output: string;
  /** The JSON or HTML reports to merge, at least one. */
  inputs: string[];
}

/** A parsed command line. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; options: RunOptions }
  | { kind: "record"; options: RecordOptions }
  | { kind: "merge-junit"; options: MergeJunitOptions }
  | { kind: "merge-reports"; options: MergeReportsOptions };

const OPTIONS = {
  reporter: { type: "string", short: "r", multiple: true },
  output: { type: "string", short: "o", multiple: true },
  update: { type: "boolean", short: "u" },
  filter: { type: "string", short: "f" },
  tag: { type: "string", short: "t", multiple: true },
  timeout: { type: "string" },
  python: { type: "string" },
  bail: { type: "boolean" },
  list: { type: "boolean" },
  jobs: { type: "string", short: "j" },
  shard: { type: "string" },
  durations: { type: "string" },
  color: { type: "string" },
  watch: { type: "boolean" },
  "pass-with-no-tests": { type: "boolean" },
  ci: { type: "boolean" },
  "hash-seed": { type: "string" },
  docs: { type: "boolean" },
  "doctest-modules": { type: "boolean" },
  "doctest-options": { type: "string", multiple: true },
  "nb-sanitize": { type: "boolean" },
  "nb-images": { type: "boolean" },
  cwd: { type: "string" },
  env: { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** The options `record` accepts besides the file. */
const RECORD_OPTIONS = new Set(["python", "timeout", "cwd", "env", "hash-seed", "help", "version"]);

/** Defaults the parser cannot know by itself. */
export interface ParseDefaults {
  /** The default of `--jobs`. Default `navigator.hardwareConcurrency`. */
  jobs?: number;
  /**
   * Running in GitHub Actions: when pretty writes to stdout, the github reporter is added beside
   * it. Default: `GITHUB_ACTIONS` is `true`.
   */
  githubActions?: boolean;
}

/**
 * Parses the command line (without the program name).
 *
 * @throws {UsageError} for an unknown option (naming the closest valid one), a missing or bad
 * value, or a missing path.
 * @example
 * ```ts
 * import { parseCommand } from "./args.ts";
 * const command = parseCommand(["scenarios/", "--reporter", "junit:report.xml", "--bail"]);
 * if (command.kind !== "run" || !command.options.bail) throw new Error("parse");
 * ```
 */
export function parseCommand(args: string[], defaults: ParseDefaults = {}): Command {
  const { values, positionals, tokens } = parseStrict(args);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals[0] === "merge-junit") return parseMergeJunit(values, positionals.slice(1));
  if (positionals[0] === "merge-reports") return parseMergeReports(values, positionals.slice(1));
  const timeoutMs = values.timeout === undefined ? undefined : parseTimeout(values.timeout);
  if (positionals[0] === "record") {
    const extra = Object.keys(values).filter((key) => !RECORD_OPTIONS.has(key));
    if (extra.length > 0) throw new UsageError(`record does not take --${extra[0]}`);
    if (positionals.length !== 2) {
      throw new UsageError("record takes exactly one file: pyrepl3 record FILE.yaml");
    }
    return {
      kind: "record",
      options: {
        file: positionals[1],
        python: values.python,
        timeoutMs,
        ...recordSettings(values),
      },
    };
  }
  if (positionals.length === 0) {
    throw new UsageError("no scenario files given; try: pyrepl3 scenarios/ (see --help)");
  }
  // Watch mode ran without them, silently: each file --update wrote would also trigger a re-run.
  for (const flag of ["update", "shard", "durations"] as const) {
    if (values.watch && values[flag] !== undefined && values[flag] !== false && !values.list) {
      throw new UsageError(
        `--watch does not take --${flag}` +
          (flag === "update" ? ": run --update once, then --watch" : ": a shard is for CI runs"),
      );
    }
  }
  return {
    kind: "run",
    options: {
      patterns: positionals,
      reporters: withGithub(
        parseReporters(
          tokens.flatMap((token) =>
            token.kind === "option" && (token.name === "reporter" || token.name === "output")
              ? [{ flag: token.name, value: token.value ?? "" }]
              : []
          ),
        ),
        defaults.githubActions ?? Deno.env.get("GITHUB_ACTIONS") === "true",
      ),
      update: values.update ?? false,
      filter: values.filter === undefined ? undefined : parseFilter(values.filter),
      tags: values.tag ?? [],
      timeoutMs,
      python: values.python,
      bail: values.bail ?? false,
      list: values.list ?? false,
      jobs: values.jobs === undefined
        ? defaults.jobs ?? navigator.hardwareConcurrency ?? 1
        : parseJobs(values.jobs),
      shard: values.shard === undefined ? undefined : parseShard(values.shard),
      ...(values.durations === undefined ? {} : { durations: values.durations }),
      color: parseColor(values.color ?? "auto"),
      ...(values.watch ? { watch: true } : {}),
      passWithNoTests: values["pass-with-no-tests"] ?? false,
      ci: values.ci ?? false,
      ...(values["hash-seed"] === undefined
        ? {}
        : { hashSeed: parseHashSeed(values["hash-seed"]) }),
      ...(values.docs ? { docs: true } : {}),
      ...(values["doctest-modules"] ? { doctestModules: true } : {}),
      ...(values["doctest-options"] === undefined
        ? {}
        : { doctestOptions: parseDoctestOptions(values["doctest-options"]) }),
      ...(values["nb-sanitize"] ? { nbSanitize: true } : {}),
      ...(values["nb-images"] ? { nbImages: true } : {}),
    },
  };
}

/** `--doctest-options ELLIPSIS,NORMALIZE_WHITESPACE` (repeatable): doctest's flag names. */
function parseDoctestOptions(values: string[]): string[] {
  const names = values.flatMap((v) => v.split(",")).map((n) => n.trim()).filter((n) => n !== "");
  for (const name of names) {
    if (!DOCTEST_OPTION_NAMES.includes(name)) {
      throw new UsageError(
        `--doctest-options: unknown doctest option "${name}"; one of ${
          DOCTEST_OPTION_NAMES.join(", ")
        }`,
      );
    }
  }
  return names;
}

/** `merge-junit OUT.xml IN.xml...`: no options, an output and at least one input. */
function parseMergeJunit(values: object, files: string[]): Command {
  const extra = Object.keys(values);
  if (extra.length > 0) throw new UsageError(`merge-junit does not take --${extra[0]}`);
  if (files.length < 2) {
    throw new UsageError(
      "merge-junit takes an output and at least one input: pyrepl3 merge-junit OUT.xml IN.xml...",
    );
  }
  return { kind: "merge-junit", options: { output: files[0], inputs: files.slice(1) } };
}

/** `merge-reports OUT IN...`: no options, an output and at least one input. */
function parseMergeReports(values: object, files: string[]): Command {
  const extra = Object.keys(values);
  if (extra.length > 0) throw new UsageError(`merge-reports does not take --${extra[0]}`);
  if (files.length < 2) {
    throw new UsageError(
      "merge-reports takes an output and at least one input: " +
        "pyrepl3 merge-reports OUT.html IN.json...",
    );
  }
  return { kind: "merge-reports", options: { output: files[0], inputs: files.slice(1) } };
}

function parseStrict(args: string[]) {
  try {
    return parseArgs({
      args,
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const option = /'([^']+)'/.exec(message)?.[1] ?? "";
      throw new UsageError(unknownOptionMessage(option));
    }
    const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      // node:util's words for a value that starts with "-", as in `--timeout -1s`.
      const value = args[args.indexOf(ambiguous[1]) + 1] ?? "";
      throw new UsageError(
        `${ambiguous[1]} ${value}: a value that starts with "-" must be given as ` +
          `${ambiguous[1]}=${value}`,
      );
    }
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(message.split("\n")[0].replace(/\.$/, ""));
    }
    throw error;
  }
}

/** "unknown option --repoter; did you mean --reporter?" (the suggestion only when it is close). */
function unknownOptionMessage(option: string): string {
  const flags = Object.keys(OPTIONS).map((name) => `--${name}`);
  const bare = option.replace(/=.*$/, "");
  if (!bare.startsWith("--")) {
    return `unknown option ${bare}; see --help for the options`;
  }
  const suggestion = closest(bare, flags);
  const near = distance(bare, suggestion) <= Math.max(2, Math.floor(bare.length / 3));
  return near
    ? `unknown option ${bare}; did you mean ${suggestion}?`
    : `unknown option ${bare}; see --help for the options`;
}

/**
 * Reads `--reporter NAME[:FILE]`, `--output NAME=FILE` and `--output FILE` (for the `--reporter` just
 * before it) into one list, in command-line order. Each name appears at most once; at most one
 * reporter writes to stdout; if none does, pretty is added for stdout.
 */
function parseReporters(flags: { flag: string; value: string }[]): ReporterSpec[] {
  const specs: ReporterSpec[] = [];
  let lastReporter: ReporterSpec | undefined;
  const add = (name: string, file: string | undefined, flag: string) => {
    if (!isReporterName(name)) {
      const hint = closest(name, [...REPORTER_NAMES]);
      throw new UsageError(
        `${flag}: unknown reporter "${name}"; did you mean ${hint}? (one of ${
          REPORTER_NAMES.join(", ")
        })`,
      );
    }
    if (file === "") throw new UsageError(`${flag}: no file after "${name}"`);
    const existing = specs.find((spec) => spec.name === name);
    if (existing === undefined) {
      const spec: ReporterSpec = file === undefined ? { name } : { name, file };
      specs.push(spec);
      return spec;
    }
    if (existing.file === undefined && file !== undefined && flag === "--output") {
      existing.file = file; // `--reporter junit --output junit=x.xml`: one reporter, to a file
      return existing;
    }
    throw new UsageError(`${flag}: reporter ${name} is given twice`);
  };
  for (const { flag, value } of flags) {
    if (flag === "reporter") {
      // Split at the first colon only: reporter names have none, file names may (C:\...).
      const colon = value.indexOf(":");
      lastReporter = colon === -1
        ? add(value, undefined, "--reporter")
        : add(value.slice(0, colon), value.slice(colon + 1), "--reporter");
      continue;
    }
    const equals = value.indexOf("=");
    if (equals !== -1 && isReporterName(value.slice(0, equals))) {
      add(value.slice(0, equals), value.slice(equals + 1), "--output");
    } else if (lastReporter && lastReporter.file === undefined && value !== "") {
      lastReporter.file = value; // `--reporter junit --output report.xml`
    } else {
      throw new UsageError(
        `--output ${JSON.stringify(value)}: give it right after the --reporter it is for ` +
          `(--reporter junit --output report.xml), or as NAME=FILE (--output junit=report.xml)`,
      );
    }
    lastReporter = undefined;
  }
  // The HTML report is a page to open, not text for a terminal: alone it goes to a file.
  for (const spec of specs) {
    if (spec.name === "html" && spec.file === undefined) spec.file = DEFAULT_HTML_REPORT;
  }
  // GitHub reads its workflow commands out of the log and hides them: they go beside a reporter.
  const onStdout = specs.filter((spec) => spec.file === undefined && spec.name !== "github");
  if (onStdout.length > 1) {
    throw new UsageError(
      `only one reporter can write to stdout, got ${onStdout.map((s) => s.name).join(" and ")}; ` +
        `send the others to files with --reporter NAME:FILE`,
    );
  }
  if (onStdout.length === 0 && !specs.some((spec) => spec.name === "pretty")) {
    specs.unshift({ name: "pretty" });
  }
  return specs;
}

/**
 * In GitHub Actions the github reporter's annotations go beside pretty on stdout (given or implied,
 * as with `--reporter junit:FILE`); never into another stdout reporter's JSON, XML, TAP or dots.
 */
function withGithub(specs: ReporterSpec[], add: boolean): ReporterSpec[] {
  const prettyOnStdout = specs.some((spec) => spec.name === "pretty" && spec.file === undefined);
  return add && prettyOnStdout && !specs.some((spec) => spec.name === "github")
    ? [...specs, { name: "github" }]
    : specs;
}

function parseColor(text: string): "auto" | "always" | "never" {
  if (text === "auto" || text === "always" || text === "never") return text;
  throw new UsageError(`--color: expected auto, always or never, got "${text}"`);
}

function parseFilter(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new UsageError(
      `--filter: invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`,
    );
  }
}

function parseTimeout(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--timeout: expected a duration like 500ms, 10s or 2m, got "${text}"`);
  }
  if (ms > MAX_TIMER_MS) {
    throw new UsageError(`--timeout: "${text}" is too long: at most 24.8 days (${MAX_TIMER_MS}ms)`);
  }
  return ms;
}

function parseJobs(text: string): number {
  const jobs = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(jobs >= 1)) throw new UsageError(`--jobs: expected a whole number >= 1, got "${text}"`);
  return jobs;
}

function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const total = Number(match?.[2]);
  if (!match || total < 1 || index < 1 || index > total) {
    throw new UsageError(`--shard: expected I/N with 1 <= I <= N (e.g. 2/4), got "${text}"`);
  }
  return { index, total };
}

/** `--cwd`, `--env KEY=VALUE` and `--hash-seed` of `record`. */
function recordSettings(
  values: { cwd?: string; env?: string[]; "hash-seed"?: string },
): Pick<RecordOptions, "cwd" | "env" | "hashSeed"> {
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError(`--env: expected KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    ...(values.cwd === undefined ? {} : { cwd: values.cwd }),
    ...(values.env === undefined ? {} : { env }),
    ...(values["hash-seed"] === undefined ? {} : { hashSeed: parseHashSeed(values["hash-seed"]) }),
  };
}

function parseHashSeed(text: string): number | "random" {
  if (text === "random") return "random";
  const seed = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(seed >= 0 && seed <= MAX_HASH_SEED)) {
    throw new UsageError(
      `--hash-seed: expected a whole number from 0 to ${MAX_HASH_SEED} or "random", got "${text}"`,
    );
  }
  return seed;
}
