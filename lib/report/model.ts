/**
 * The report of a scenario run: what `runScenarios()` returns and every reporter reads.
 *
 * @module
 */

/** How one step ended. */
export type StepStatus = "passed" | "failed" | "skipped";

/**
 * What a failed expectation was about: the expectation's key, with `error.type` and
 * `error.message` apart so that `--update` can tell which part of an `error` to rewrite.
 */
export type FailureKind =
  | "status"
  | "stdout"
  | "stderr"
  | "repr"
  | "value"
  | "error.type"
  | "error.message"
  | "duration"
  | "inputs"
  | "display"
  | "data";

/** One failed expectation of a step. */
export interface ExpectationFailure {
  /** What failed; decide by this, never by the wording of `message`. */
  kind: FailureKind;
  /** The expectation key as the file writes it, e.g. `stdout`, `value`, `error`, `status`. */
  key: string;
  /** Why it failed, in one sentence. */
  message: string;
  /** What the scenario expected, rendered as text (for diffs). */
  expected?: string;
  /** What came back, rendered as text (for diffs). */
  actual?: string;
  /** For an image snapshot that did not match: the files involved (`--update` writes `file`). */
  snapshot?: SnapshotFailure;
}

/** An image snapshot that did not match, and the images written beside it. */
export interface SnapshotFailure {
  /** The snapshot file (resolved). */
  file: string;
  /** The display's 0-based index in `actual.displays`, or null for the trailing value's `data`. */
  display: number | null;
  /** The MIME type compared, e.g. `image/png`. */
  mime: string;
  /** The actual image, written beside the snapshot (`hist.actual.png`). */
  actualFile?: string;
  /** The differing pixels in red (`hist.diff.png`), when the sizes agreed. */
  diffFile?: string;
}

/** The outcome of one step of a scenario. */
export interface StepReport {
  /** 0-based position in the scenario's `steps`. */
  index: number;
  /** The step kind: `exec`, `checkpoint`, `restore`, `commit`, `rollback`, `restart`. */
  kind: string;
  /** A short label: the first line of the code, or `checkpoint saved`. */
  label: string;
  /** The Python source of an exec step, whole (reporters that show code: html). */
  code?: string;
  /** The replies an exec step gives to input prompts, as text (`reply`, `prompt → reply`, `EOF`). */
  inputs?: string[];
  /** 1-based line of the step in its file. */
  line: number;
  /** 1-based column of the step in its file. */
  column: number;
  /** How the step ended; `skipped` when an earlier step failed. */
  status: StepStatus;
  /** How long the step took, in milliseconds of wall-clock time. */
  durationMs: number;
  /** Failed expectations (empty when passed). */
  failures: ExpectationFailure[];
  /** An unexpected error that failed the step (a crash, a bad checkpoint name), in one line. */
  error?: string;
  /** With `update`: true when `--update` wrote this step's expectations (it then passed). */
  updated?: boolean;
  /** For a `skipped` step, when more than a failed step explains it (the interpreter crashed). */
  skippedBecause?: string;
  /** The actual outcome of an exec step (for `--update` and reporters). */
  actual?: {
    /** How the execution ended (an `ExecutionStatus`). */
    status: string;
    /** What the code printed to stdout. */
    stdout: string;
    /** What the code printed to stderr. */
    stderr: string;
    /** The converted value of the trailing expression, when there was one. */
    value?: unknown;
    /** The `repr()` of the trailing expression's value, when there was one. */
    repr?: string;
    /** The exception, when one was raised (notebooks: with its formatted traceback). */
    error?: { type: string; message: string; traceback?: string };
    /** The trailing value's MIME bundle (binary types as `Uint8Array`; base64 in JSON reports). */
    data?: Record<string, unknown>;
    /** The rich outputs shown, in order (bundles as in `data`). */
    displays?: { data: Record<string, unknown>; metadata: Record<string, unknown>; id?: string }[];
    /** Notebooks: the order the streams and displays were written in (see `OutputOrderEntry`). */
    outputs?: OutputOrderEntry[];
    /** Why the interpreter ended, for `crashed` (and a `timeout` that needed a kill). */
    crash?: { exitCode: number | null; signal: string | null; stderrTail: string };
  };
}

/**
 * One output of an execution, in the order written: stream text as the span `start..end` of the
 * step's `actual.stdout` or `actual.stderr`, or the display at index `display` of `actual.displays`.
 */
export type OutputOrderEntry =
  | { stream: "stdout" | "stderr"; start: number; end: number }
  | { display: number };

/** The outcome of one scenario file. */
export interface ScenarioReport {
  /** The scenario's name (its `name`, or the file name). */
  name: string;
  /** The file the scenario came from. */
  file: string;
  /** The scenario's tags, for selecting and grouping in reports. */
  tags: string[];
  /** `failed` when any step failed. */
  status: "passed" | "failed";
  /** How long the scenario took, sessions included, in milliseconds of wall-clock time. */
  durationMs: number;
  /** One report per step, in file order. */
  steps: StepReport[];
  /** The reports of the `setup:` steps of its config file (`pyrepl3.yaml`), when it has any. */
  setup?: StepReport[];
  /** `PYTHONHASHSEED` its interpreters started with (the run's, else its `hash_seed`, else 0). */
  hashSeed?: number;
  /** The Python version the scenario's sessions ran. */
  pythonVersion?: string;
  /** With `update`: true when the file was rewritten with the actual outputs. */
  updated?: boolean;
  /** With `update`: how many expectation values were written into the file. */
  expectationsWritten?: number;
  /**
   * With `update`: why the file could not be rewritten (it changed on disk since it was read,
   * vanished, or could not be written). The scenario then counts as failed.
   */
  updateError?: string;
}

/** The outcome of a whole run. */
export interface RunReport {
  /** One report per scenario that ran (`bail` may stop some), in file order whatever `jobs`. */
  scenarios: ScenarioReport[];
  /** How many scenarios passed. */
  passed: number;
  /** How many scenarios failed. */
  failed: number;
  /** How long the whole run took, in milliseconds of wall-clock time. */
  durationMs: number;
  /** When the run started, ISO 8601. */
  startedAt: string;
  /** `PYTHONHASHSEED` of the run (`--hash-seed`, `"random"` resolved; 0 by default). */
  hashSeed?: number;
  /** The Python version the scenarios ran on (e.g. `3.12.1`), when known. */
  pythonVersion?: string;
}
