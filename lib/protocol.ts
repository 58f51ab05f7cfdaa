/**
 * The messages exchanged with the Python worker (runner/protocol.py) and their msgpack encoding.
 *
 * Two channels: the keeper's stdin/stdout carry `spawn`/`warmup` requests and `exited` reports; each
 * interpreter has a unix-socket connection carrying executions, output, input and control requests.
 *
 * @module
 */
import { Decoder, Encoder } from "npm:@msgpack/msgpack@3.1.3";
import { ProtocolError } from "./errors.ts";
import { valueCodec } from "./values.ts";

/** The protocol version this library speaks; the worker's hello must match. */
export const PROTOCOL_VERSION = 1;

/** An exception as the worker reports it. */
export interface WireError {
  type: string;
  message: string;
  traceback: string;
  line?: number;
  column?: number;
}

/** A message from the keeper (its stdout). */
export type KeeperMessage =
  | { t: "keeper_hello"; protocol: number; python: string; pid: number; executable: string }
  | { t: "warmup_done"; id: string; ok: boolean; generation: number; error?: WireError }
  | { t: "exited"; pid: number; code: number | null; signal: string | null }
  | { t: "keeper_error"; message: string };

/** A message from an interpreter (its socket). */
export type InterpreterMessage =
  | {
    t: "hello";
    protocol: number;
    python: string;
    pid: number;
    generation: number;
    executable: string;
  }
  | { t: "output"; id: string | null; stream: "stdout" | "stderr"; data: string }
  | { t: "input"; id: string; inputId: string; prompt: string; password: boolean }
  | WireResult
  | WireReply
  | { t: "fatal"; message: string; traceback: string };

/** The result of an execution as the worker sends it. */
export interface WireResult {
  t: "result";
  id: string;
  status: "ok" | "error" | "interrupted";
  value?: unknown;
  hasValue?: boolean;
  repr?: string;
  error?: WireError;
  executionCount: number;
  pid: number;
  transaction?: {
    policy: "commit_always" | "rollback_on_failure" | "rollback_always" | "explicit";
    outcome: "committed" | "rolled_back" | "pending";
    threadsLost?: boolean;
  };
}

/** The reply to a control request (`commit`, `rollback`, `checkpoint`, `restore`, `ping`). */
export interface WireReply {
  t: "reply";
  id: string;
  ok: boolean;
  error?: WireError;
  executionCount: number;
  pid?: number;
  [key: string]: unknown;
}

/** A message to an interpreter. */
export type InterpreterRequest =
  | { t: "exec"; id: string; code: string; transaction: string }
  | { t: "input_reply"; inputId: string; text: string | null; error?: string }
  | {
    t: "request";
    id: string;
    op: string;
    blob?: number;
    cwd?: string;
    env?: Record<string, string>;
  }
  | { t: "shutdown" };

/** A message to the keeper. */
export type KeeperRequest =
  | { t: "spawn" }
  | { t: "warmup"; id: string; code: string };

// One encoder and decoder for the process: building them per message cost more than the encoding itself.
const encoder = new Encoder({ extensionCodec: valueCodec });
const decoder = new Decoder({ extensionCodec: valueCodec });

/** Encodes a message as a msgpack payload (not yet framed). */
export function encodeMessage(message: InterpreterRequest | KeeperRequest): Uint8Array {
  return encoder.encode(message);
}

/** Decodes a payload and checks it is a message object with a string `t`. */
export function decodeMessage<T extends { t: string }>(payload: Uint8Array): T {
  let message: unknown;
  try {
    message = decoder.decode(payload);
  } catch (cause) {
    throw new ProtocolError(`malformed frame from the worker: ${String(cause)}`, { cause });
  }
  if (
    typeof message !== "object" || message === null ||
    typeof (message as { t?: unknown }).t !== "string"
  ) {
    throw new ProtocolError("frame from the worker is not a message object");
  }
  return message as T;
}
