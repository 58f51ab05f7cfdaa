/**
 * Unit tests of lib/frames.ts: length-prefixed frames over byte sources.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import {
  type ByteSource,
  encodeFrame,
  FrameReader,
  FrameTooLargeError,
  MAX_FRAME_BYTES,
  streamSource,
} from "../lib/frames.ts";

/** A byte source that hands out `bytes` in reads of at most `chunk` bytes (1 = byte by byte). */
function chunkedSource(bytes: Uint8Array, chunk: number): ByteSource & { closed: boolean } {
  let offset = 0;
  return {
    closed: false,
    read(buffer: Uint8Array): Promise<number | null> {
      if (offset >= bytes.length) return Promise.resolve(null);
      const count = Math.min(chunk, buffer.length, bytes.length - offset);
      buffer.set(bytes.subarray(offset, offset + count));
      offset += count;
      return Promise.resolve(count);
    },
    close() {
      this.closed = true;
    },
  };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

async function readAll(reader: FrameReader): Promise<Uint8Array[]> {
  const payloads: Uint8Array[] = [];
  for (let payload = await reader.next(); payload !== null; payload = await reader.next()) {
    payloads.push(payload);
  }
  return payloads;
}

Deno.test("encodeFrame prefixes the payload with its big-endian length", () => {
  deepStrictEqual(encodeFrame(new Uint8Array([1, 2, 3])), new Uint8Array([0, 0, 0, 3, 1, 2, 3]));
  deepStrictEqual(encodeFrame(new Uint8Array()), new Uint8Array([0, 0, 0, 0]));
  const big = encodeFrame(new Uint8Array(0x010203));
  deepStrictEqual(big.subarray(0, 4), new Uint8Array([0, 1, 2, 3]));
});

Deno.test("frames round-trip through encodeFrame and FrameReader", async () => {
  const payloads = [
    new Uint8Array([1]),
    new Uint8Array(),
    pattern(1000),
    new TextEncoder().encode("héllo"),
  ];
  const reader = new FrameReader(chunkedSource(concat(...payloads.map(encodeFrame)), 1 << 20));
  deepStrictEqual(await readAll(reader), payloads);
});

for (const chunk of [1, 3, 5, 4096]) {
  Deno.test(`frames split across reads of ${chunk} bytes are reassembled`, async () => {
    const payloads = [pattern(10), pattern(7000), new Uint8Array([42]), pattern(70_000)];
    const reader = new FrameReader(chunkedSource(concat(...payloads.map(encodeFrame)), chunk));
    deepStrictEqual(await readAll(reader), payloads);
  });
}

Deno.test("a payload is not overwritten by the frames read after it", async () => {
  const reader = new FrameReader(
    chunkedSource(concat(encodeFrame(pattern(16)), encodeFrame(new Uint8Array(16))), 64),
  );
  const first = await reader.next();
  await reader.next();
  deepStrictEqual(first, pattern(16));
});

Deno.test("a large frame (8 MiB) is read whole", async () => {
  const payload = pattern(8 * 1024 * 1024);
  const reader = new FrameReader(
    chunkedSource(concat(encodeFrame(payload), encodeFrame(pattern(3))), 100_000),
  );
  const first = await reader.next();
  equal(first?.length, payload.length);
  ok(
    first !== null && first.every((byte, i) => byte === payload[i]),
    "the large payload's bytes differ",
  );
  deepStrictEqual(await reader.next(), pattern(3));
  equal(await reader.next(), null);
});

Deno.test("a stream that ends between frames ends cleanly with null", async () => {
  const reader = new FrameReader(chunkedSource(new Uint8Array(), 10));
  equal(await reader.next(), null);
});

Deno.test("a stream that ends inside a frame header is an error", async () => {
  const reader = new FrameReader(chunkedSource(new Uint8Array([0, 0]), 10));
  await rejects(reader.next(), /header/);
});

Deno.test("a stream that ends inside a small frame is an error", async () => {
  const frame = encodeFrame(pattern(100));
  const reader = new FrameReader(chunkedSource(frame.subarray(0, 50), 10));
  await rejects(reader.next(), /ended inside a frame/);
});

Deno.test("a stream that ends inside a large frame is an error", async () => {
  const frame = encodeFrame(pattern(200_000));
  const reader = new FrameReader(chunkedSource(frame.subarray(0, 150_000), 64 * 1024));
  await rejects(reader.next(), /ended inside a frame/);
});

Deno.test("a header announcing more than MAX_FRAME_BYTES is FrameTooLargeError", async () => {
  equal(MAX_FRAME_BYTES, 2 ** 31 - 1);
  const reader = new FrameReader(chunkedSource(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2]), 10));
  await rejects(reader.next(), FrameTooLargeError);
});

Deno.test("cancel() closes the source", async () => {
  const source = chunkedSource(encodeFrame(pattern(4)), 10);
  const reader = new FrameReader(source);
  await reader.cancel();
  ok(source.closed);
});

Deno.test("streamSource adapts a ReadableStream of odd-sized chunks", async () => {
  const payloads = [pattern(5), pattern(100_000), new Uint8Array([9])];
  const bytes = concat(...payloads.map(encodeFrame));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 7777) {
        controller.enqueue(bytes.slice(at, at + 7777));
      }
      controller.close();
    },
  });
  deepStrictEqual(await readAll(new FrameReader(streamSource(stream))), payloads);
});

Deno.test("readRaw reads a blob into the array allocate makes, then frames go on", async () => {
  const blob = pattern(100_000);
  const tail = concat(blob, encodeFrame(pattern(5)));
  for (const chunk of [7, 64 * 1024]) {
    const reader = new FrameReader(chunkedSource(concat(encodeFrame(pattern(3)), tail), chunk));
    deepStrictEqual(await reader.next(), pattern(3));
    const read = await reader.readRaw(
      blob.length,
      (length) => new Uint8Array(12 + length + 32).subarray(12, 12 + length),
    );
    deepStrictEqual(read, blob);
    equal(read.byteOffset, 12);
    deepStrictEqual(
      new Uint8Array(read.buffer, 0, 12),
      new Uint8Array(12),
      "room before untouched",
    );
    deepStrictEqual(new Uint8Array(read.buffer, 12 + blob.length), new Uint8Array(32), "and after");
    deepStrictEqual(await reader.next(), pattern(5));
  }
});

Deno.test("readRaw refuses an allocate that makes the wrong size", async () => {
  const reader = new FrameReader(chunkedSource(pattern(100), 10));
  await rejects(reader.readRaw(100, () => new Uint8Array(99)), RangeError);
});

Deno.test("readRaw by default reads a blob into a buffer of its exact size", async () => {
  const reader = new FrameReader(chunkedSource(pattern(70_000), 4096));
  const read = await reader.readRaw(70_000);
  deepStrictEqual(read, pattern(70_000));
  equal(read.buffer.byteLength, 70_000);
});
