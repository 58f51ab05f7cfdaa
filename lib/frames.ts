/**
 * Length-prefixed frames over byte streams: a 4-byte big-endian length, then the payload.
 * Knows nothing of messages or sessions.
 *
 * @module
 */

/** The largest payload accepted; a larger length means the stream is not speaking our protocol. */
export const MAX_FRAME_BYTES = 2 ** 31 - 1;

/** Prefixes `payload` with its length. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, 4);
  return frame;
}

/** A frame header announced an impossible length. */
export class FrameTooLargeError extends Error {
  override name = "FrameTooLargeError";
  /** Creates the error for a header announcing `length` bytes. */
  constructor(length: number) {
    super(`frame header announces ${length} bytes, more than ${MAX_FRAME_BYTES}`);
  }
}

/** Something to read bytes from: a `Deno.Conn`, or a stream through {@linkcode streamSource}. */
export interface ByteSource {
  /** Reads into `buffer`; resolves to the count read, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Stops reading. */
  close?(): void;
}

/** Adapts a ReadableStream (a child process's stdout) to a ByteSource. */
export function streamSource(stream: ReadableStream<Uint8Array>): ByteSource {
  const reader = stream.getReader();
  let pending: Uint8Array | null = null;
  return {
    async read(buffer: Uint8Array): Promise<number | null> {
      if (!pending || pending.length === 0) {
        const { value, done } = await reader.read();
        if (done) return null;
        pending = value;
      }
      const count = Math.min(buffer.length, pending.length);
      buffer.set(pending.subarray(0, count));
      pending = pending.subarray(count);
      return count;
    },
    close() {
      reader.cancel().catch(() => {});
    },
  };
}

const CHUNK = 64 * 1024;

/**
 * Reads frame payloads from a byte source. Small frames are sliced out of one 64 KiB read buffer; a large
 * frame is read straight into a buffer of its exact size, so a 512 MB payload is copied once.
 * Direct `read()` calls on a socket are twice as fast as a ReadableStream reader (measured: 31 us against
 * 62 us per round trip), and the round trip is the product's hot path.
 */
export class FrameReader {
  #source: ByteSource;
  #buffer = new Uint8Array(CHUNK);
  #start = 0;
  #end = 0;

  /** Reads from `source` until it ends or `cancel()` is called. */
  constructor(source: ByteSource) {
    this.#source = source;
  }

  /** The next payload, or `null` at a clean end of stream. Throws on a truncated frame. */
  async next(): Promise<Uint8Array | null> {
    if (!(await this.#fill(4))) {
      if (this.#end === this.#start) return null;
      throw new Error("stream ended inside a frame header");
    }
    const view = new DataView(this.#buffer.buffer, this.#start, 4);
    const length = view.getUint32(0);
    if (length > MAX_FRAME_BYTES) throw new FrameTooLargeError(length);
    this.#start += 4;
    if (length <= CHUNK) {
      if (!(await this.#fill(length))) {
        throw new Error(`stream ended inside a frame of ${length} bytes`);
      }
      // Copy out: the read buffer is reused for the next frames.
      const payload = this.#buffer.slice(this.#start, this.#start + length);
      this.#start += length;
      return payload;
    }
    return await this.readRaw(length);
  }

  /**
   * Reads exactly `length` unframed bytes (a blob announced by the previous frame) into a new buffer.
   *
   * @param allocate Makes the `length`-byte array to read into, e.g. a view with room around it in a larger
   * buffer, so the caller can wrap the blob without copying it; default a new `Uint8Array(length)`.
   */
  async readRaw(
    length: number,
    allocate: (length: number) => Uint8Array = (n) => new Uint8Array(n),
  ): Promise<Uint8Array> {
    const payload = allocate(length);
    if (payload.length !== length) {
      throw new RangeError(`readRaw: allocate(${length}) made ${payload.length} bytes`);
    }
    const taken = Math.min(this.#end - this.#start, length);
    payload.set(this.#buffer.subarray(this.#start, this.#start + taken));
    this.#start += taken;
    let filled = taken;
    while (filled < length) {
      const count = await this.#source.read(payload.subarray(filled));
      if (count === null) {
        throw new Error(`stream ended inside a frame (${filled} of ${length} bytes)`);
      }
      filled += count;
    }
    return payload;
  }

  /** Stops reading and releases the source. */
  cancel(): Promise<void> {
    try {
      this.#source.close?.();
    } catch {
      // already closed
    }
    return Promise.resolve();
  }

  async #fill(count: number): Promise<boolean> {
    if (this.#end - this.#start >= count) return true;
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    while (this.#end < count) {
      const read = await this.#source.read(this.#buffer.subarray(this.#end));
      if (read === null) return false;
      this.#end += read;
    }
    return true;
  }
}
