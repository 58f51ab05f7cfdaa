/**
 * Proves runner/msgpack.py (the pure codec) is byte-compatible with @msgpack/msgpack: every
 * fixture is encoded in Deno, decoded and re-encoded in one long-lived Python process, and must
 * come back identical; Python's own encoding of the same value must decode to it in Deno.
 */

import { decode, type DecoderOptions, encode, type EncoderOptions } from "@msgpack/msgpack";
import { deepStrictEqual, fail, match } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CORRUPT_INPUTS, type FixtureMode, MSGPACK_FIXTURES } from "./_helpers/msgpack_fixtures.ts";

const ECHO_SCRIPT = fileURLToPath(new URL("./_helpers/msgpack_echo.py", import.meta.url));

const ENCODE_OPTIONS: Record<FixtureMode, EncoderOptions> = {
  number: {},
  bigint: { useBigInt64: true },
  float32: { forceFloat32: true },
};
const DECODE_OPTIONS: Record<FixtureMode, DecoderOptions> = {
  number: {},
  bigint: { useBigInt64: true },
  float32: {},
};

/** Reply from the Python driver: encoded bytes, or the exception it raised. */
type EchoReply = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

/** Resolves the test Python (PYREPL3_TEST_PYTHON or python3) to its sys.executable. */
async function resolvePython(): Promise<string> {
  const configured = Deno.env.get("PYREPL3_TEST_PYTHON") ?? "python3";
  const { success, stdout } = await new Deno.Command(configured, {
    args: ["-c", "import sys; print(sys.executable)"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error(`${configured} failed to report sys.executable`);
  return new TextDecoder().decode(stdout).trim();
}

/** One Python process running tests/_helpers/msgpack_echo.py, spoken to in length-prefixed frames. */
class PythonCodec implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  constructor(python: string) {
    this.#child = new Deno.Command(python, {
      args: [ECHO_SCRIPT],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#reader = this.#child.stdout.getReader();
  }

  /** Python decodes `bytes` with pure_unpackb and re-encodes with pure_packb. */
  roundTrip(bytes: Uint8Array): Promise<EchoReply> {
    return this.#request(0x52, bytes); // "R"
  }

  /** Python evaluates `expression` and encodes the value with pure_packb. */
  pack(expression: string): Promise<EchoReply> {
    return this.#request(0x50, new TextEncoder().encode(expression)); // "P"
  }

  async #request(op: number, body: Uint8Array): Promise<EchoReply> {
    const frame = new Uint8Array(5 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length + 1);
    frame[4] = op;
    frame.set(body, 5);
    await this.#writer.write(frame);
    const length = new DataView((await this.#read(4)).buffer).getUint32(0);
    const reply = await this.#read(length);
    return reply[0] === 0
      ? { ok: true, bytes: reply.subarray(1) }
      : { ok: false, error: new TextDecoder().decode(reply.subarray(1)) };
  }

  /** Reads exactly `n` bytes from the child's stdout. */
  async #read(n: number): Promise<Uint8Array> {
    while (this.#buffered < n) {
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("the Python msgpack driver exited; see its stderr above");
      this.#chunks.push(value);
      this.#buffered += value.length;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      const take = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= n;
    return out;
  }

  /** Closes stdin so the driver exits, then reaps it; fails if it exited with an error. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel();
    const status = await this.#child.status;
    if (!status.success) throw new Error(`the Python msgpack driver exited with ${status.code}`);
  }
}

/** Asserts two byte arrays are equal, naming the first differing offset (fast on 5 MiB). */
function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  if (i === n && actual.length === expected.length) return;
  const hex = (b: Uint8Array) =>
    Array.from(b.subarray(Math.max(0, i - 4), i + 8), (x) => x.toString(16).padStart(2, "0"))
      .join(" ");
  fail(
    `${what}: differ at offset ${i} (lengths ${actual.length} vs ${expected.length}); ` +
      `actual ...${hex(actual)}..., expected ...${hex(expected)}...`,
  );
}

function ok(reply: EchoReply, what: string): Uint8Array {
  if (!reply.ok) fail(`${what}: Python raised ${reply.error}`);
  return reply.bytes;
}

Deno.test("runner/msgpack.py pure codec agrees with @msgpack/msgpack", async (t) => {
  await using python = new PythonCodec(await resolvePython());

  for (const fx of MSGPACK_FIXTURES) {
    const jsBytes = encode(fx.value, ENCODE_OPTIONS[fx.mode]);

    await t.step(`Python decodes and re-encodes @msgpack/msgpack bytes: ${fx.name}`, async () => {
      const back = ok(await python.roundTrip(jsBytes), "round trip");
      if (fx.exact) assertBytesEqual(back, jsBytes, "Python re-encoding");
      deepStrictEqual(decode(back, DECODE_OPTIONS[fx.mode]), fx.value);
    });

    await t.step(`@msgpack/msgpack decodes Python's encoding: ${fx.name}`, async () => {
      const pyBytes = ok(await python.pack(fx.python), `pack ${fx.python.slice(0, 80)}`);
      deepStrictEqual(decode(pyBytes, DECODE_OPTIONS[fx.mode]), fx.value);
      if (fx.exact) assertBytesEqual(pyBytes, jsBytes, "Python encoding");
    });

    await t.step(`Python rejects truncated input with ValueError: ${fx.name}`, async () => {
      // msgpack is prefix-free, so every proper prefix of a value is incomplete.
      const cuts = new Set([0, 1, jsBytes.length >> 1, jsBytes.length - 1]);
      for (const cut of cuts) {
        if (cut >= jsBytes.length) continue;
        const reply = await python.roundTrip(jsBytes.subarray(0, cut));
        if (reply.ok) fail(`a ${cut}-byte prefix of ${jsBytes.length} bytes decoded`);
        match(reply.error, /^ValueError: /);
      }
    });
  }

  for (const { name, bytes } of CORRUPT_INPUTS) {
    await t.step(`Python rejects corrupt input with ValueError: ${name}`, async () => {
      const reply = await python.roundTrip(bytes);
      if (reply.ok) fail("corrupt input decoded without an error");
      match(reply.error, /^ValueError: /);
    });
  }

  await t.step("Python rejects ints outside the 64-bit range with OverflowError", async () => {
    for (const expression of ["2**64", "-(2**63) - 1"]) {
      const reply = await python.pack(expression);
      if (reply.ok) fail(`${expression} encoded`);
      match(reply.error, /^OverflowError: /);
    }
  });

  await t.step("Python rejects unsupported types with a TypeError naming the type", async () => {
    const reply = await python.pack("{1, 2}");
    if (reply.ok) fail("a set encoded");
    match(reply.error, /^TypeError: .*\bset\b/);
  });
});
