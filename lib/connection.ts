/**
 * Request/reply and event routing over one interpreter's socket: framed messages out, a read loop in.
 * Knows nothing of executions' semantics; it hands each event to its handler.
 *
 * @module
 */
import { encodeFrame, type FrameReader } from "./frames.ts";
import {
  type ClearOutputMessage,
  type ControlOp,
  type ControlReplies,
  type ControlRequest,
  decodeInterpreterMessage,
  type DisplayMessage,
  encodeMessage,
  type InterpreterMessage,
  type InterpreterRequest,
  type ReplyMessage,
  type ResultMessage,
} from "./protocol.ts";
import { ProtocolError, PyReplError } from "./errors.ts";
import { allocateCheckpointBlob } from "./checkpoint.ts";

/** The events a connection reports while it reads. */
export interface ConnectionEvents {
  /** A chunk of output; `id` is null for output written while no execution ran. */
  output(stream: "stdout" | "stderr", data: string, id: string | null): void;
  /** The running code asks for input. */
  input(inputId: string, prompt: string, password: boolean): void;
  /** An execution's result. */
  result(message: ResultMessage): void;
  /** A rich output, or a clear_output() call (runner/display.py). */
  display(message: DisplayMessage | ClearOutputMessage): void;
}

/** A reply as a successful request resolves with it. */
export type Reply<K extends ControlOp> = ControlReplies[K] & { executionCount: number };

/** A control request the worker answered with `ok: false`. */
export class RequestFailure extends Error {
  /** The reply, with the worker's error. */
  readonly reply: ReplyMessage;
  /** Creates the failure from the reply. */
  constructor(readonly op: ControlOp, reply: ReplyMessage) {
    super(`${op} failed: ${reply.error?.type}: ${reply.error?.message}`);
    this.reply = reply;
  }
}

/** How long a failed write waits for the read loop to end before it reports the write error itself. */
const WRITE_FAILURE_WAIT_MS = 3000;

/** Waits for `promise` to settle, or `ms` at most; never rejects. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

interface PendingRequest {
  op: ControlOp;
  resolve: (reply: ReplyMessage) => void;
  reject: (error: Error) => void;
}

/** The connection to one interpreter process. */
export class Connection {
  readonly #socket: Deno.UnixConn;
  readonly #events: ConnectionEvents;
  #writes: Promise<void> = Promise.resolve();
  #requests = new Map<string, PendingRequest>();
  #nextRequest = 0;
  /** Set once the connection can carry nothing more: every later call rejects with it. */
  #closedWith: Error | null = null;
  /** Resolves when the read loop ends: `null` at end of stream, else the protocol error that ended it. */
  readonly ended: Promise<PyReplError | null>;

  /** Takes over a greeted interpreter's socket and starts reading. */
  constructor(socket: Deno.UnixConn, reader: FrameReader, events: ConnectionEvents) {
    this.#socket = socket;
    this.#events = events;
    this.ended = this.#readLoop(reader);
  }

  /** Sends a message, then `blob` as raw bytes when given; writes never interleave. */
  send(message: InterpreterRequest, blob?: Uint8Array): Promise<void> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    const frame = encodeFrame(encodeMessage(message));
    const socket = this.#socket;
    // A large frame may take several write() calls: chain writes so that two never interleave.
    const write = this.#writes.then(async () => {
      if (this.#closedWith) throw this.#closedWith;
      try {
        for (const bytes of blob ? [frame, blob] : [frame]) {
          let written = 0;
          while (written < bytes.length) written += await socket.write(bytes.subarray(written));
        }
      } catch (error) {
        // A write fails when the interpreter died mid-write (a big restore or cell): wait (bounded) for the
        // read loop to see the end too, so the caller gets the same typed death as every other request.
        if (!this.#closedWith) await settledWithin(this.ended, WRITE_FAILURE_WAIT_MS);
        throw this.#closedWith ??
          new ProtocolError(`cannot write to the interpreter: ${error}`, { cause: error });
      }
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  /**
   * Sends a control request and resolves with its reply; rejects with {@linkcode RequestFailure} when
   * the worker refused it, or with the reason the connection closed. Settles exactly once.
   */
  request<R extends ControlRequest>(request: R, blob?: Uint8Array): Promise<Reply<R["op"]>> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    const id = `r${++this.#nextRequest}`;
    const reply = new Promise<ReplyMessage>((resolve, reject) => {
      this.#requests.set(id, { op: request.op, resolve, reject });
    });
    this.send({ ...request, t: "request", id }, blob).catch((error) => this.#settle(id, error));
    return reply.then((message) => {
      if (!message.ok) throw new RequestFailure(request.op, message);
      return message as unknown as Reply<R["op"]>;
    });
  }

  /** Closes the socket; waiting and later requests reject with `reason`. Idempotent. */
  close(reason: Error): void {
    if (this.#closedWith) return;
    this.#closedWith = reason;
    for (const id of [...this.#requests.keys()]) this.#settle(id, reason);
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }

  #settle(id: string, outcome: ReplyMessage | Error): void {
    const pending = this.#requests.get(id);
    if (!pending) return;
    this.#requests.delete(id);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  async #readLoop(reader: FrameReader): Promise<PyReplError | null> {
    let failure: PyReplError | null = null;
    try {
      while (!this.#closedWith) {
        const payload = await reader.next();
        if (payload === null) break;
        let message = decodeInterpreterMessage(payload);
        if (message.t === "reply" && message.blob !== undefined) {
          message = await this.#withBlob(message, reader);
        }
        this.#dispatch(message);
      }
    } catch (error) {
      // A reset is the peer gone with bytes of ours unread (killed mid-restore): an end, not a breach.
      if (!this.#closedWith && !(error instanceof Deno.errors.ConnectionReset)) {
        failure = error instanceof PyReplError
          ? error
          : new ProtocolError(String(error), { cause: error });
      }
    }
    await reader.cancel();
    return failure;
  }

  /**
   * A checkpoint's bytes follow their reply unframed, so 512 MB are not wrapped and copied again; they are
   * read into a buffer with room to sign them in place (allocateCheckpointBlob).
   * (Only such replies take this await: the round trip's hot path stays free of it.)
   */
  async #withBlob(message: ReplyMessage, reader: FrameReader): Promise<InterpreterMessage> {
    const data = await reader.readRaw(message.blob!, allocateCheckpointBlob);
    return { ...message, data } as InterpreterMessage;
  }

  #dispatch(message: InterpreterMessage): void {
    switch (message.t) {
      case "output":
        return this.#events.output(message.stream, message.data, message.id);
      case "input":
        return this.#events.input(message.inputId, message.prompt, message.password);
      case "result":
        return this.#events.result(message);
      case "display":
      case "clear_output":
        return this.#events.display(message);
      case "reply":
        return this.#settle(message.id, message);
      case "fatal":
        throw new ProtocolError(`the worker reported an internal error: ${message.message}`);
      case "hello":
        throw new ProtocolError("a second hello from the interpreter");
      default: {
        const unknown: never = message;
        throw new ProtocolError(`unknown message from the worker: ${JSON.stringify(unknown)}`);
      }
    }
  }
}
