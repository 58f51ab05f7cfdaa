/**
 * One interpreter's connection: framed messages out, a read loop in, and request/reply matching.
 * Knows nothing of executions' semantics; it hands each message kind to its handler.
 *
 * @module
 */
import { encodeFrame, type FrameReader } from "./frames.ts";
import {
  decodeMessage,
  encodeMessage,
  type InterpreterMessage,
  type InterpreterRequest,
  type WireReply,
  type WireResult,
} from "./protocol.ts";
import { ProtocolError, PyReplError } from "./errors.ts";
import type { SpawnedInterpreter } from "./worker_process.ts";

/** What a connection reports while it reads. */
export interface ConnectionHandlers {
  /** A chunk of the running execution's output. */
  output(stream: "stdout" | "stderr", data: string): void;
  /** The running code asks for input. */
  input(inputId: string, prompt: string, password: boolean): void;
  /** The running execution's result. */
  result(message: WireResult): void;
  /**
   * The read loop ended on its own: `failure` is the protocol error that ended it, or null when the
   * interpreter closed the connection (it exited). Not called after `close()`.
   */
  closed(failure: PyReplError | null): void;
}

interface PendingRequest {
  resolve: (reply: WireReply) => void;
  reject: (error: Error) => void;
}

/** The connection to one interpreter process. */
export class InterpreterConnection {
  readonly #socket: Deno.UnixConn;
  readonly #handlers: ConnectionHandlers;
  #writes: Promise<void> = Promise.resolve();
  #requests = new Map<string, PendingRequest>();
  #nextRequest = 0;
  #closed = false;

  /** Takes over a greeted interpreter's socket and starts reading. */
  constructor(spawned: SpawnedInterpreter, handlers: ConnectionHandlers) {
    this.#socket = spawned.connection;
    this.#handlers = handlers;
    this.#readLoop(spawned.reader);
  }

  /** Sends a message, then `blob` as raw bytes when given; writes never interleave. */
  send(message: InterpreterRequest, blob?: Uint8Array): Promise<void> {
    const frame = encodeFrame(encodeMessage(message));
    const socket = this.#socket;
    // A large frame may take several write() calls: chain writes so that two never interleave.
    const write = this.#writes.then(async () => {
      for (const bytes of blob ? [frame, blob] : [frame]) {
        let written = 0;
        while (written < bytes.length) written += await socket.write(bytes.subarray(written));
      }
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  /** Sends a control request (`commit`, `checkpoint`, ...) and resolves with its reply. */
  async request(op: string, data?: Uint8Array): Promise<WireReply> {
    const id = `r${++this.#nextRequest}`;
    const reply = new Promise<WireReply>((resolve, reject) => {
      this.#requests.set(id, { resolve, reject });
    });
    await this.send(
      data ? { t: "request", id, op, blob: data.length } : { t: "request", id, op },
      data,
    );
    return await reply;
  }

  /** Closes the socket and rejects waiting requests with `reason`. */
  close(reason: Error): void {
    this.#closed = true;
    this.failRequests(reason);
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }

  /** Rejects every request waiting for a reply. */
  failRequests(reason: Error): void {
    for (const pending of this.#requests.values()) pending.reject(reason);
    this.#requests.clear();
  }

  async #readLoop(reader: FrameReader): Promise<void> {
    let failure: PyReplError | null = null;
    try {
      while (!this.#closed) {
        const payload = await reader.next();
        if (payload === null) break;
        const message = decodeMessage<InterpreterMessage>(payload);
        // A checkpoint's bytes follow their reply unframed, so 512 MB are not wrapped and copied again.
        if (message.t === "reply" && typeof message.blob === "number") {
          message.data = await reader.readRaw(message.blob);
        }
        this.#dispatch(message);
      }
    } catch (error) {
      failure = error instanceof PyReplError
        ? error
        : new ProtocolError(String(error), { cause: error });
    }
    await reader.cancel();
    if (!this.#closed) this.#handlers.closed(failure);
  }

  #dispatch(message: InterpreterMessage): void {
    switch (message.t) {
      case "output":
        return this.#handlers.output(message.stream, message.data);
      case "input":
        return this.#handlers.input(message.inputId, message.prompt, message.password);
      case "result":
        return this.#handlers.result(message);
      case "reply": {
        const pending = this.#requests.get(message.id);
        this.#requests.delete(message.id);
        pending?.resolve(message);
        return;
      }
      case "fatal":
        throw new ProtocolError(`the worker reported an internal error: ${message.message}`);
      case "hello":
        return;
      default: {
        const unknown: never = message;
        throw new ProtocolError(`unknown message from the worker: ${JSON.stringify(unknown)}`);
      }
    }
  }
}
