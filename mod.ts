/**
 * PyREPL3: persistent Python sessions driven from Deno, and scenario files that test them.
 *
 * - {@linkcode Session} runs code in a long-lived interpreter: state persists, output streams, `input()`
 *   prompts come back to you, errors come back as data.
 * - Transactions (`execute(code, { transaction })`) roll a failed execution back exactly; checkpoints
 *   ({@linkcode Checkpoint}) save a namespace and restore it, also in a fresh process.
 *
 * @example
 * ```ts
 * import { Session } from "./mod.ts";
 * await using session = new Session();
 * await session.start();
 * const result = await session.execute("x = 42\nx * 2");
 * console.log(result.status, result.value); // ok 84
 * ```
 *
 * @module
 */
export { Session } from "./lib/session.ts";
export type { SessionState } from "./lib/session.ts";
export { Execution } from "./lib/execution.ts";
export { Checkpoint } from "./lib/checkpoint.ts";
export type { SkippedValue } from "./lib/checkpoint.ts";
export { CHECKPOINT_FILE_EXTENSION } from "./lib/checkpoint_file.ts";
export type {
  BackgroundDisplayEvent,
  CrashInfo,
  DisplayOutput,
  DocstringLiteral,
  DoctestRequest,
  DoctestVerdict,
  ExecutionError,
  ExecutionEvent,
  ExecutionResult,
  ExecutionStatus,
  InputReply,
  MimeBundle,
  TransactionOutcome,
  TransactionPolicy,
} from "./lib/results.ts";
export type {
  CheckpointOptions,
  ExecuteOptions,
  ResourceLimits,
  RestoreOptions,
  SessionOptions,
} from "./lib/options.ts";
export {
  AcquireTimeoutError,
  CheckpointError,
  InvalidOptionError,
  NoTransactionError,
  PoolError,
  ProtocolError,
  ProtocolVersionError,
  PyReplError,
  SessionClosedError,
  SessionDeadError,
  TransactionError,
  UnknownInputError,
  WarmupError,
  WorkerRequestError,
  WorkerStartError,
} from "./lib/errors.ts";
export { SessionPool } from "./lib/pool.ts";
export type { SessionPoolOptions } from "./lib/pool_options.ts";
export type { PoolStats } from "./lib/pool_stats.ts";
export { loadScenario } from "./lib/scenario/load.ts";
export { runScenario, runScenarios } from "./lib/scenario/run.ts";
export type { RunOptions, RunScenarioOptions } from "./lib/scenario/run.ts";
export type { LoadOptions, SelectOptions } from "./lib/scenario/select.ts";
export type {
  ScenarioSession,
  ScenarioSessionHints,
  SessionFactory,
} from "./lib/scenario/scenario_run.ts";
export { scenarioTests } from "./lib/scenario/testing.ts";
export type { ScenarioTestOptions } from "./lib/scenario/testing.ts";
export { discoverScenarioFiles } from "./lib/scenario/discover.ts";
export type { DiscoverOptions } from "./lib/scenario/discover.ts";
export {
  InvalidRegexError,
  ScenarioChangedError,
  ScenarioError,
  ScenarioNotFoundError,
  ScenarioValidationError,
  TextFileError,
} from "./lib/scenario/errors.ts";
export type { ScenarioIssue } from "./lib/scenario/errors.ts";
export type {
  BundleExpectation,
  CheckpointStep,
  ControlStep,
  ErrorExpectation,
  ExecStep,
  Expectation,
  InputEntry,
  MimeExpectation,
  Normalizer,
  RestoreStep,
  Scenario,
  ScenarioSource,
  SnapshotExpectation,
  Step,
  StepBase,
  TextExpectation,
  TextMatcher,
} from "./lib/scenario/types.ts";
export type {
  ExpectationFailure,
  FailureKind,
  OutputOrderEntry,
  RunReport,
  ScenarioReport,
  SnapshotFailure,
  StepReport,
  StepStatus,
} from "./lib/report/model.ts";
export { formatReport, REPORTER_NAMES } from "./lib/report/reporters.ts";
export type { ReporterName, ReporterOptions } from "./lib/report/reporters.ts";
