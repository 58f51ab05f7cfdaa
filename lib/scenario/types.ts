/**
 * The shapes of a loaded scenario: what `loadScenario()` returns after parsing and validation.
 *
 * Durations are already converted to milliseconds, paths resolved; matchers and normalizers keep
 * the form they had in the file (see `matchers.ts` and `normalize.ts`).
 *
 * @module
 */
import type { ResourceLimits } from "../options.ts";

import type { DoctestRequest, ExecutionStatus, TransactionPolicy } from "../results.ts";

/** A text expectation: exact text, or a matcher mapping whose keys must all hold. */
export type TextExpectation = string | TextMatcher;

/** A matcher mapping: at least one key; every key given must hold. */
export interface TextMatcher {
  /** The text must contain this. */
  contains?: string;
  /** The text must not contain this. */
  not_contains?: string;
  /** A Python `re` pattern that must match somewhere in the text (`re.search`; see `regex.ts`). */
  matches?: string;
  /** The text's lines, in order; a line `...` stands for any number of lines. */
  lines?: string[];
}

/** An output normalizer, applied to both sides before comparing. */
export type Normalizer =
  | "addresses"
  | "trailing_whitespace"
  | "ansi"
  | "sorted_sets"
  | { regex: string; replace: string };

/** A scripted reply to an input prompt. */
export type InputEntry =
  | string
  | { prompt: string; reply: string }
  /** The reply is the value of an environment variable, read at run time (a password). */
  | { prompt: string; reply_env: string }
  | { eof: true };

/** An image expected to look like a file beside the scenario (compared by decoded pixels). */
export interface SnapshotExpectation {
  /** The image file, relative to the directory of the file the step is written in. */
  snapshot: string;
  /** The fraction of pixels that may differ (0.01: 1%). Default 0. */
  tolerance?: number;
}

/**
 * What one MIME type of a bundle must hold: a text expectation for text types (`text/html`...),
 * a {@linkcode SnapshotExpectation} for binary ones (`image/png`), the value for JSON types.
 */
export type MimeExpectation = TextExpectation | SnapshotExpectation | unknown;

/** A bundle's expectation: MIME type to what it must hold; types not named are not checked. */
export type BundleExpectation = Record<string, MimeExpectation>;

/** The expected error of an exec step. */
export interface ErrorExpectation {
  /** The exception's class name, e.g. `ZeroDivisionError`. */
  type: string;
  /** The expected `str(exception)`, when given. */
  message?: TextExpectation;
}

/** What an exec step expects; absent keys are not checked (except `status`, see `check.ts`). */
export interface Expectation {
  /** The status the execution must end with (default `ok`; with `error`, any failure). */
  status?: ExecutionStatus;
  /** What the code must print to stdout, after normalizing. */
  stdout?: TextExpectation;
  /** What the code must print to stderr, after normalizing. */
  stderr?: TextExpectation;
  /** Deep-equal to the converted value; `null` stands for `None` or no value. */
  value?: unknown;
  /** True when the file has a `value` key (its value may be `null`). */
  hasValue: boolean;
  /** The Python `repr()` of the last expression's value. */
  repr?: TextExpectation;
  /** The exception the code must raise. */
  error?: ErrorExpectation;
  /** The longest the execution may take, in milliseconds. */
  durationMaxMs?: number;
  /** The rich outputs shown (`result.displays`), one bundle expectation per display, in order. */
  display?: BundleExpectation[];
  /** The trailing value's bundle (`result.data`). */
  data?: BundleExpectation;
}

/** Fields every step has. */
export interface StepBase {
  /** 0-based position in the scenario's steps. */
  index: number;
  /** 1-based line of the step in its file. */
  line: number;
  /** 1-based column of the step in its file. */
  column: number;
  /** The named session the step runs in (`main` unless the file says otherwise). */
  session: string;
  /** The file the step is written in, when not the scenario's (a `setup:` step of a config file). */
  file?: string;
}

/** Runs code. */
export interface ExecStep extends StepBase {
  /** Marks the step as one that runs code. */
  kind: "exec";
  /** The Python source to run. */
  code: string;
  /** Replies to the code's input prompts, used in order. */
  inputs?: InputEntry[];
  /** Whether and how the execution runs as a transaction that can be rolled back. */
  transaction?: TransactionPolicy;
  /** The step's own timeout, in milliseconds. */
  timeoutMs?: number;
  /** Interrupt the code (KeyboardInterrupt) after this many milliseconds. */
  interruptAfterMs?: number;
  /** What the execution's result must match. */
  expect: Expectation;
  /** The scenario's normalizers followed by the step's own. */
  normalize: Normalizer[];
  /** A document's `>>>` example: run and judged by doctest (`lib/docs/`), `expect` unused. */
  doctest?: DoctestRequest;
}

/** Takes a checkpoint of the session's namespace under a name. */
export interface CheckpointStep extends StepBase {
  /** Marks the step as one that takes a checkpoint. */
  kind: "checkpoint";
  /** The name a later `restore` step refers to the checkpoint by. */
  name: string;
  /** The file the worker writes the checkpoint to (`checkpoint: { name, path }`), as written. */
  path?: string;
}

/** Restores a named checkpoint (taken in any session of the scenario). */
export interface RestoreStep extends StepBase {
  /** Marks the step as one that restores a checkpoint. */
  kind: "restore";
  /** The name of a checkpoint an earlier step took; for `restore: { path }`, the path as written. */
  name: string;
  /** The checkpoint file to restore (`restore: { path }`), as written. */
  path?: string;
}

/** Commits, rolls back, or restarts the session. */
export interface ControlStep extends StepBase {
  /** Which session operation the step performs. */
  kind: "commit" | "rollback" | "restart";
}

/** One step of a scenario. */
export type Step = ExecStep | CheckpointStep | RestoreStep | ControlStep;

/** What a scenario was loaded from: a scenario file, or a document (`lib/docs/sources.ts`). */
export type ScenarioSource = "scenario" | "markdown" | "rst" | "text" | "python" | "notebook";

/** A parsed and validated scenario file. */
export interface Scenario {
  /** The `name` key, or the file name without its extension. */
  name: string;
  /** The file's path, as given to `loadScenario()`. */
  file: string;
  /** Free text saying what the scenario checks, for readers and reports. */
  description?: string;
  /** Labels that `--tag` selects scenarios by (empty when the file has none). */
  tags: string[];
  /** The Python interpreter the scenario asks for (a path with `/` resolved from the file stating it). */
  python?: string;
  /** Environment variables the scenario's workers start with, added to the current environment. */
  env?: Record<string, string>;
  /**
   * The worker's directory, resolved against the directory of the file that states it (the
   * scenario's, else its config file's; default: the scenario file's directory).
   */
  cwd: string;
  /** The file's default step timeout, in milliseconds (its own, else its config file's). */
  timeoutMs?: number;
  /** Where `timeoutMs` was set, for timeout messages: "the file's timeout: (x.yaml:3)". */
  timeoutSource?: string;
  /** `PYTHONHASHSEED` of the scenario's interpreters (the `hash_seed` key; default 0). */
  hashSeed?: number | "random";
  /** Resource limits of the scenario's interpreters (the `limits` key). */
  limits?: ResourceLimits;
  /** The most characters of each stream a step's result keeps (notebooks: room for their outputs). */
  maxOutputChars?: number;
  /** The `setup:` steps of its config file, run first in `main` (absent when there are none). */
  setup?: Step[];
  /** The project config file (`pyrepl3.yaml`) that applies to the scenario, when it has setup. */
  config?: string;
  /** The steps to run, in order. */
  steps: Step[];
  /** What the scenario was loaded from; absent for scenario files. */
  source?: ScenarioSource;
  /**
   * Code run once where the scenario's sessions are forked from (a pooled run's warm template), so
   * each session starts with what it did: a module's import for its docstrings, as doctest
   * imports a module once for all of them. Sessions made one by one run without it.
   */
  warmup?: string;
  /**
   * Run every step even after one failed, as doctest runs every example of a document (`--bail`
   * and doctest's `FAIL_FAST` stop it). Default false: a failed step skips the rest.
   */
  keepGoing?: boolean;
}
