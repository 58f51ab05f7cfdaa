/**
 * The messages exchanged with the Python worker (runner/protocol.py, same names) and their msgpack
 * encoding.
 *
 * Two channels: the keeper's stdin/stdout carry `attach`/`spawn`/`warmup` requests and `spare`/`exited`
 * reports; each interpreter has a unix-socket connection carrying executions, output, input and control
 * requests. Every message from the worker is checked for its shape here, at the edge: the rest of the
 * library sees only well-formed members of these unions.
 *
 * @module
 */
import { Decoder, Encoder } from "npm:@msgpack/msgpack@3.1.3";
import { ProtocolError } from "./errors.ts";
import { valueCodec } from "./values.ts";
import type { DoctestRequest, DoctestVerdict, TransactionPolicy } from "./results.ts";

/** The protocol version this library speaks; the worker's hellos must match. */
export const PROTOCOL_VERSION = 2;

/** A transaction policy by its canonical name (aliases are resolved before anything is sent). */
export type CanonicalPolicy = Exclude<TransactionPolicy, "commit_on_success">;

/** An exception as the worker reports it. */
export interface WireError {
  /** The exception's class name. */
  type: string;
  /** `str(exception)`. */
  message: string;
  /** The user-frames traceback. */
  traceback: string;
  /** SyntaxError line. */
  line?: number;
  /** SyntaxError column. */
  column?: number;
}

/** How the interpreter renders rich output: matplotlib figures' pixel size, DPI and formats. */
export interface WireDisplay {
  /** Figure width in pixels. */
  width?: number;
  /** Figure height in pixels. */
  height?: number;
  /** Figure DPI. */
  dpi?: number;
  /** The formats each figure is sent in. */
  formats?: ("png" | "svg")[];
}

/** Resource limits applied in the interpreter at set-up (`resource.setrlimit`). */
export interface WireLimits {
  /** RLIMIT_AS, in bytes. */
  memoryBytes?: number;
  /** RLIMIT_CPU, in seconds. */
  cpuSeconds?: number;
  /** RLIMIT_NOFILE. */
  openFiles?: number;
}

// -- keeper channel ---------------------------------------------------------------------------------------

/** A message from the keeper (its stdout). */
export type KeeperMessage =
  | { t: "keeper_hello"; protocol: number; python: string; pid: number; executable: string }
  | { t: "spare"; pid: number; token: string; generation: number }
  | { t: "warmup_done"; id: string; ok: boolean; generation: number; error?: WireError }
  | { t: "exited"; pid: number; code: number | null; signal: string | null }
  | { t: "keeper_error"; message: string };

/** A message to the keeper (its stdin). The socket path travels here, never in argv or the environment. */
export type KeeperRequest =
  | { t: "attach"; socket: string }
  | { t: "spawn" }
  | { t: "warmup"; id: string; code: string };

// -- interpreter channel ----------------------------------------------------------------------------------

/** A control request: one member per operation. */
export type ControlRequest =
  | {
    op: "setup";
    cwd?: string;
    env?: Record<string, string>;
    limits?: WireLimits;
    display?: WireDisplay;
    /** The most characters of a trailing value's repr a result carries (the session's maxOutputChars). */
    maxValueChars?: number;
  }
  | { op: "commit" }
  | { op: "rollback" }
  | { op: "checkpoint"; path?: string }
  | { op: "restore"; blob?: number; path?: string; digest?: string | null }
  | { op: "complete"; source: string };

/** The name of a control operation. */
export type ControlOp = ControlRequest["op"];

/** What each control operation's successful reply carries (besides `executionCount`). */
export interface ControlReplies {
  /** The interpreter is in its working directory with its environment and limits. */
  setup: Record<never, never>;
  /** The explicit transaction's changes were kept. */
  commit: Record<never, never>;
  /** The savepoint took over: its pid, and whether user threads were lost. */
  rollback: { pid: number; threadsLost: boolean };
  /**
   * The checkpoint's bytes, sent raw after the reply frame; or, with `path`, the file's signed digest
   * (hex), JSON header and size once signed (lib/checkpoint_file.ts).
   */
  checkpoint: { data?: Uint8Array; digest?: string; header?: string; size?: number };
  /** The names the restored namespace holds. */
  restore: { names: string[] };
  /** Whether `source` is a whole entry, as Python's interactive console decides (codeop). */
  complete: { status: "complete" | "incomplete" | "invalid" };
}

/** A message to an interpreter. */
export type InterpreterRequest =
  | {
    t: "exec";
    id: string;
    code: string;
    transaction: CanonicalPolicy;
    /** Run as a doctest example (runner/doctest_support.py) instead of a cell. */
    doctest?: DoctestRequest;
  }
  | { t: "interrupt"; id: string }
  | { t: "input_reply"; inputId: string; text: string | null; error?: string }
  | (ControlRequest & { t: "request"; id: string });

/** The result of an execution as the worker sends it. */
export interface ResultMessage {
  t: "result";
  id: string;
  status: "ok" | "error" | "interrupted";
  value?: unknown;
  hasValue?: boolean;
  repr?: string;
  /** Characters of `repr` left out (over `maxValueChars`); `value` is not sent then. */
  reprOmitted?: number;
  /** The value's MIME bundle besides `text/plain` (which is `repr`). */
  data?: Record<string, unknown>;
  error?: WireError;
  executionCount: number;
  pid: number;
  /** The verdict on a doctest example. */
  doctest?: DoctestVerdict;
  transaction?: {
    policy: CanonicalPolicy;
    outcome: "committed" | "rolled_back" | "pending" | "rollback_failed";
    threadsLost?: boolean;
  };
}

/** The reply to a control request. `blob` announces raw bytes that follow the frame. */
export interface ReplyMessage {
  t: "reply";
  id: string;
  ok: boolean;
  error?: WireError;
  executionCount: number;
  pid?: number;
  blob?: number;
  names?: string[];
  threadsLost?: boolean;
}

/** A rich output (runner/display.py); `id` is null when shown while no execution ran. */
export interface DisplayMessage {
  t: "display";
  id: string | null;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  displayId?: string;
  update?: boolean;
}

/** `clear_output()` was called. */
export interface ClearOutputMessage {
  t: "clear_output";
  id: string | null;
  wait: boolean;
}

/** A message from an interpreter (its socket). */
export type InterpreterMessage =
  | {
    t: "hello";
    protocol: number;
    python: string;
    pid: number;
    executable: string;
    token: string;
  }
  | { t: "output"; id: string | null; stream: "stdout" | "stderr"; data: string }
  | { t: "input"; id: string; inputId: string; prompt: string; password: boolean }
  | ResultMessage
  | ReplyMessage
  | DisplayMessage
  | ClearOutputMessage
  | { t: "fatal"; message: string; traceback: string };

// One encoder and decoder for the process: building them per message cost more than the encoding itself.
const encoder = new Encoder({ extensionCodec: valueCodec });
const decoder = new Decoder({ extensionCodec: valueCodec });

/** Encodes a message as a msgpack payload (not yet framed). */
export function encodeMessage(message: InterpreterRequest | KeeperRequest): Uint8Array {
  return encoder.encode(message);
}

/** Decodes and validates a frame from an interpreter. */
export function decodeInterpreterMessage(payload: Uint8Array): InterpreterMessage {
  const message = decodeObject(payload);
  const check = new ShapeCheck(message);
  switch (message.t) {
    case "hello":
      check.number("protocol");
      if (message.protocol !== PROTOCOL_VERSION) break; // the caller reports the version mismatch
      check.string("python").number("pid").string("executable").string("token");
      break;
    case "output":
      check.oneOf("stream", ["stdout", "stderr"]).string("data");
      break;
    case "input":
      check.string("id").string("inputId").string("prompt").boolean("password");
      break;
    case "result":
      check.string("id").oneOf("status", ["ok", "error", "interrupted"]).number("executionCount")
        .number("pid").error("error");
      if (message.reprOmitted !== undefined) check.number("reprOmitted");
      break;
    case "reply":
      check.string("id").boolean("ok").number("executionCount").error("error");
      if (message.blob !== undefined) check.number("blob");
      break;
    case "fatal":
      check.string("message");
      break;
    case "display":
      check.object("data").object("metadata");
      if (message.displayId !== undefined) check.string("displayId");
      break;
    case "clear_output":
      check.boolean("wait");
      break;
    default:
      throw new ProtocolError(`unknown message ${JSON.stringify(message.t)} from the interpreter`);
  }
  return message as unknown as InterpreterMessage;
}

/** Decodes and validates a frame from the keeper. */
export function decodeKeeperMessage(payload: Uint8Array): KeeperMessage {
  const message = decodeObject(payload);
  const check = new ShapeCheck(message);
  switch (message.t) {
    case "keeper_hello":
      check.number("protocol");
      if (message.protocol !== PROTOCOL_VERSION) break; // the caller reports the version mismatch
      check.string("python").number("pid").string("executable");
      break;
    case "spare":
      check.number("pid").string("token").number("generation");
      break;
    case "warmup_done":
      check.string("id").boolean("ok").number("generation").error("error");
      break;
    case "exited":
      check.number("pid");
      break;
    case "keeper_error":
      check.string("message");
      break;
    default:
      throw new ProtocolError(`unknown message ${JSON.stringify(message.t)} from the keeper`);
  }
  return message as unknown as KeeperMessage;
}

function decodeObject(payload: Uint8Array): Record<string, unknown> & { t: string } {
  let message: unknown;
  try {
    message = decoder.decode(payload);
  } catch (cause) {
    throw new ProtocolError(`malformed frame from the worker: ${String(cause)}`, { cause });
  }
  if (
    typeof message !== "object" || message === null || Array.isArray(message) ||
    message instanceof Map || typeof (message as { t?: unknown }).t !== "string"
  ) {
    throw new ProtocolError("frame from the worker is not a message object");
  }
  return message as Record<string, unknown> & { t: string };
}

/** Checks the fields of one decoded message, naming the first wrong one (text built only then). */
class ShapeCheck {
  constructor(readonly message: Record<string, unknown> & { t: string }) {}

  #fail(key: string, what: string): never {
    throw new ProtocolError(
      `malformed ${this.message.t} message from the worker: ${key} must be ${what}`,
    );
  }

  string(key: string): this {
    if (typeof this.message[key] !== "string") this.#fail(key, "a string");
    return this;
  }

  number(key: string): this {
    if (typeof this.message[key] !== "number") this.#fail(key, "a number");
    return this;
  }

  boolean(key: string): this {
    if (typeof this.message[key] !== "boolean") this.#fail(key, "a boolean");
    return this;
  }

  /** A plain string-keyed object (a MIME bundle, its metadata). */
  object(key: string): this {
    const value = this.message[key];
    if (
      typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Map
    ) this.#fail(key, "an object");
    return this;
  }

  oneOf(key: string, values: readonly string[]): this {
    if (!values.includes(this.message[key] as string)) this.#fail(key, values.join(" or "));
    return this;
  }

  /** An optional WireError: type, message and traceback strings. */
  error(key: string): this {
    const value = this.message[key] as Record<string, unknown> | undefined;
    if (
      value !== undefined && !(typeof value === "object" && value !== null &&
        typeof value.type === "string" && typeof value.message === "string" &&
        typeof value.traceback === "string")
    ) this.#fail(key, "an error object");
    return this;
  }
}
