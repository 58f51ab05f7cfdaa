/**
 * The last bytes of a stream (a worker's stderr), kept for crash reports.
 *
 * @module
 */

/** Keeps the last `limit` bytes written to a stream. */
export class TailBuffer {
  #chunks: Uint8Array[] = [];
  #size = 0;

  /** Keeps at most about `limit` bytes. */
  constructor(readonly limit: number) {}

  /** Adds a chunk, dropping old chunks beyond the limit. */
  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#chunks.length > 1 && this.#size - this.#chunks[0].length >= this.limit) {
      this.#size -= this.#chunks.shift()!.length;
    }
  }

  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;

  /** Reads `stream` to its end (or until `stop()`) into this buffer; resolves when reading ends. */
  async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const reader = this.#reader = stream.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        this.push(value);
      }
    } catch {
      // the stream closed with the process
    } finally {
      this.#reader = null;
    }
  }

  /** Stops reading (a stray process holds the stream open after its writer ended); keeps what was read. */
  stop(): void {
    this.#reader?.cancel().catch(() => {});
  }

  /** The kept bytes as text (invalid UTF-8 becomes U+FFFD). */
  text(): string {
    const joined = new Uint8Array(this.#size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    return new TextDecoder().decode(joined.subarray(Math.max(0, joined.length - this.limit)));
  }
}
