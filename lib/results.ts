/**
 * The shapes a caller sees: options of a session and an execution, the events an execution
 * yields and the result it resolves to.
 *
 * @module
 */

/** How an execution's changes to the session are kept or taken back. */
export type TransactionPolicy =
  | "commit_always"
  | "rollback_on_failure"
  | "commit_on_success"
  | "rollback_always"
  | "explicit";

/** How an execution ended. */
export type ExecutionStatus = "ok" | "error" | "interrupted" | "timeout" | "crashed";

/** A Python exception, reported as data. */
export interface ExecutionError {
  /** The exception's class name, e.g. `ZeroDivisionError`. */
  type: string;
  /** `str(exception)`. */
  message: string;
  /** The formatted traceback, user frames only (cells are named `<cell N>`). */
  traceback: string;
  /** For a SyntaxError: the 1-based line of the error in the cell. */
  line?: number;
  /** For a SyntaxError: the 1-based column of the error in the cell. */
  column?: number;
}

/** What a transaction did with an execution's changes. */
export interface TransactionOutcome {
  /** The policy the execution ran under (an alias is reported by its canonical name). */
  policy: Exclude<TransactionPolicy, "commit_on_success">;
  /**
   * `committed`: the changes stay; `rolled_back`: the session is as before; `pending`: explicit, open;
   * `rollback_failed`: a rollback was due but its savepoint process was lost, so the changes stay.
   */
  outcome: "committed" | "rolled_back" | "pending" | "rollback_failed";
  /** True when threads started by user code were running and did not survive the rollback. */
  threadsLost?: boolean;
}

/** Why a worker process ended during an execution. */
export interface CrashInfo {
  /** The exit code, when the worker exited. */
  exitCode: number | null;
  /** The signal name, when the worker was killed by a signal (e.g. `SIGKILL`). */
  signal: string | null;
  /** The last lines the worker wrote to stderr before it died. */
  stderrTail: string;
}

/**
 * A MIME bundle: MIME type to data, e.g. `{"text/plain": "...", "text/html": "<b>..."}`. Binary types
 * (`image/png`, `image/jpeg`, `application/pdf`) are `Uint8Array`s, text types (`text/*`, `*+xml`,
 * `application/javascript`) strings, JSON types (`application/json`, `*+json`) plain values.
 */
export type MimeBundle = Record<string, unknown>;

/** One rich output shown while the code ran (`display()`, `plt.show()`, a figure left open). */
export interface DisplayOutput {
  /** The bundle. */
  data: MimeBundle;
  /** Its metadata (e.g. `{"image/png": {"width": 320}}`); `{}` when none. */
  metadata: Record<string, unknown>;
  /** The `display_id` it was shown with, when one was given (later updates replace `data`). */
  id?: string;
  /**
   * Set when the execution's displays went over their budget (`maxOutputChars` characters/bytes
   * in all): each MIME type cut (text, with a truncation marker) or left out, with the size not kept
   * (`metadata` too, when it was left out: it is then `{}`).
   */
  omitted?: Record<string, number>;
  /** Shown while no execution ran (a thread) and delivered with this execution. */
  background?: true;
}

/** A rich output shown, or a `clear_output()` called, while no execution ran. */
export type BackgroundDisplayEvent = Extract<ExecutionEvent, { type: "display" | "clear_output" }>;

/** What a document's `>>>` example asks of its execution (`ExecuteOptions.doctest`). */
export interface DoctestRequest {
  /** The expected output as the document gives it (doctest's `Example.want`). */
  want: string;
  /** The expected exception's last line(s), for a traceback example (doctest's `exc_msg`). */
  excMsg?: string | null;
  /** The example's own option directives (`# doctest: +ELLIPSIS`), by flag name. */
  options?: Record<string, boolean>;
  /** Option flags of the whole run, by name (`--doctest-options`, as `doctest -o`). */
  runOptions?: string[];
  /** The indentation of the example's `>>>` (doctest's `Example.indent`). */
  indent?: number;
  /** The 1-based line of the example in its document. */
  line?: number;
  /** The test's name (the document, or the docstring's object). */
  name?: string;
  /** A module's example: how its docstring is written, for `--update` (`lib/docs/update.ts`). */
  docstring?: DocstringLiteral;
}

/** How a docstring example is written in its module's file. */
export interface DocstringLiteral {
  /** The docstring is a raw literal (`r"""`): its text is the file's, backslashes included. */
  raw: boolean;
  /** Its quotes: `"""`, `'''`, `"` or `'`. */
  quote: string;
  /** The example's lines in the file are its text exactly (no escape sequence changes them). */
  verbatim: boolean;
}

/** How doctest judged an example (`ExecutionResult.doctest`). */
export interface DoctestVerdict {
  /** `skipped` when a `+SKIP` directive or run option applied. */
  outcome: "passed" | "failed" | "skipped";
  /** doctest's own account of a failure (`Expected: ... Got: ...`, or `Exception raised: ...`). */
  report?: string;
  /** For a failure: the expected output that would make it pass (`--update` writes it). */
  want?: string;
  /** For a failure under `FAIL_FAST`: the rest of the document does not run. */
  failFast?: boolean;
}

/** The outcome of one execution. */
export interface ExecutionResult {
  /** How the execution ended. */
  status: ExecutionStatus;
  /** The converted value of a trailing expression (undefined when none, None, or not convertible). */
  value?: unknown;
  /** `repr()` of a trailing expression's value (undefined when none or None). */
  repr?: string;
  /**
   * Set when the repr was longer than `maxOutputChars`: the characters left out. `repr` is then cut,
   * with a `[pyrepl3: output truncated, ...]` line at its end, and `value` is left undefined.
   */
  reprOmitted?: number;
  /**
   * The trailing expression's MIME bundle: `{"text/plain": repr}` plus whatever its `_repr_html_`,
   * `_repr_png_`... (or `_repr_mimebundle_`) give (undefined when `repr` is).
   */
  data?: MimeBundle;
  /** The MIME types of `data` cut or left out for being over `maxOutputChars`, with the size not kept. */
  dataOmitted?: Record<string, number>;
  /**
   * The rich outputs shown during the execution, in order, each as its last update left it; a
   * `clear_output()` drops those before it. A session always sets it (`[]` when there were none).
   */
  displays?: DisplayOutput[];
  /** Everything the execution wrote to stdout (capped by `maxOutputChars`). */
  stdout: string;
  /** Everything the execution wrote to stderr (capped by `maxOutputChars`). */
  stderr: string;
  /** The exception, for status `error` (and `interrupted`/`timeout`: KeyboardInterrupt). */
  error?: ExecutionError;
  /** The session's execution counter after this execution (like `In [N]`). */
  executionCount: number;
  /** Wall time from sending the code to receiving the result. */
  durationMs: number;
  /** What the transaction did; absent under `commit_always`. */
  transaction?: TransactionOutcome;
  /** For `crashed`, and for `timeout` when the worker had to be killed. */
  crash?: CrashInfo;
  /** True when the session's state was lost (crash, or a timeout that needed a kill). */
  stateLost?: boolean;
  /** With `ExecuteOptions.doctest`: doctest's verdict on the example (status `error` when it failed). */
  doctest?: DoctestVerdict;
}

/** An event of a running execution, in the order it happened. */
export type ExecutionEvent =
  | {
    type: "output";
    stream: "stdout" | "stderr";
    data: string;
    /** Written while no execution ran (a thread, a child process) and delivered with this one. */
    background?: true;
  }
  | { type: "input"; id: string; prompt: string; password: boolean }
  | {
    type: "display";
    data: MimeBundle;
    metadata: Record<string, unknown>;
    /** The `display_id`, when the output was shown with one. */
    id?: string;
    /** Set when this replaces the earlier output(s) with `id` (`update_display`, `handle.update`). */
    update?: true;
    /** Shown while no execution ran (a thread) and delivered with this one. */
    background?: true;
  }
  | {
    type: "clear_output";
    /** `clear_output(wait=True)`: clear when the next output arrives. */
    wait: boolean;
    /** Called while no execution ran (a thread) and delivered with this one. */
    background?: true;
  }
  | { type: "result"; result: ExecutionResult };

/** A scripted reply to an input prompt: text, or `null` for end of input (EOFError). */
export type InputReply = string | null;
