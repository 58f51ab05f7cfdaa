/**
 * The typed error for a control request the worker refused.
 *
 * @module
 */
import type { RequestFailure } from "./connection.ts";
import {
  CheckpointError,
  NoTransactionError,
  TransactionError,
  WorkerRequestError,
} from "./errors.ts";

/** Maps the worker's error type to the class a caller catches. */
export function requestError(failure: RequestFailure): Error {
  const error = failure.reply.error;
  const message = error ? `${error.type}: ${error.message}` : "unknown error";
  if (error?.type === "NoTransactionError") return new NoTransactionError(error.message);
  if (error?.type === "TransactionError") return new TransactionError(error.message);
  if (error?.type === "CheckpointError") {
    // The class already says what kind of error it is: "restore failed: the file is cut short".
    return new CheckpointError(`${failure.op} failed: ${error.message}`);
  }
  if (failure.op === "checkpoint" || failure.op === "restore") {
    return new CheckpointError(`${failure.op} failed: ${message}`);
  }
  return new WorkerRequestError(`${failure.op} failed in the worker: ${message}`);
}
