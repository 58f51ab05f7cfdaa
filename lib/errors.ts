/**
 * The error classes PyREPL3 throws. Catch by class; each message says what to do.
 *
 * @module
 */

/** The base class of every error PyREPL3 throws. */
export class PyReplError extends Error {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "PyReplError";
  /** Creates an error with a message that says what to do, and the underlying cause. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An option has a wrong type or value. */
export class InvalidOptionError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "InvalidOptionError";
}

/** The Python interpreter could not be found or started, or spoke an unexpected protocol. */
export class WorkerStartError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "WorkerStartError";
}

/** A pool's warmup code raised; the message holds its traceback. */
export class WarmupError extends WorkerStartError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "WarmupError";
}

/** The worker and this library speak different protocol versions. */
export class ProtocolVersionError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "ProtocolVersionError";
  /** Creates the error from both versions. */
  constructor(expected: number, actual: unknown) {
    super(
      `the Python worker speaks protocol ${String(actual)}, this library speaks ${expected}; ` +
        "use the runner/ folder that ships with this version of PyREPL3",
    );
  }
}

/** A frame from the worker could not be decoded, or was not a valid message. */
export class ProtocolError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "ProtocolError";
}

/** The session was shut down (or never started); it cannot run code. */
export class SessionClosedError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "SessionClosedError";
  /** Creates the error for the session `id`; a `state` with its own advice ("...; acquire ...") keeps it. */
  constructor(id: string, state: string) {
    const advice = state.includes(";")
      ? ""
      : "; call start() or restart(), or create a new Session";
    super(`session ${id} is ${state}${advice}`);
  }
}

/** The session's worker died; the session cannot run code until restart(). */
export class SessionDeadError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "SessionDeadError";
  /** Creates the error for the session `id`. */
  constructor(id: string, reason: string) {
    super(`session ${id} is dead (${reason}); call restart() for a fresh worker`);
  }
}

/** inputResponse() named an input request that is not waiting for a reply. */
export class UnknownInputError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "UnknownInputError";
  /** Creates the error for input request `id`. */
  constructor(id: string) {
    super(
      `no input request ${
        JSON.stringify(id)
      } is waiting for a reply; answer the id of an "input" event`,
    );
  }
}

/** commit() or rollback() was called with no open explicit transaction. */
export class NoTransactionError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "NoTransactionError";
}

/** A rollback could not happen (its savepoint process was lost); the session keeps its current state. */
export class TransactionError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "TransactionError";
}

/** A checkpoint could not be made, read or restored; the session is unchanged. */
export class CheckpointError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "CheckpointError";
}

/** A request to the worker failed inside the worker. */
export class WorkerRequestError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "WorkerRequestError";
}

/** A pool could not hand out a session in time, or was shut down. */
export class PoolError extends PyReplError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "PoolError";
}

/** acquire() waited longer than `acquireTimeoutMs`. */
export class AcquireTimeoutError extends PoolError {
  /** The error's stable class name, for logs and for checks where `instanceof` cannot be used. */
  override name = "AcquireTimeoutError";
}
