/**
 * Checkpoint signing: where the key comes from (key file made on first use, also by racing processes,
 * environment overrides) and sealCheckpoint/openCheckpoint over a real worker's checkpoint bytes.
 *
 * Key resolution reads the environment and is cached per process, so those tests run it in Deno
 * subprocesses with an environment of their own.
 */
import {
  deepStrictEqual,
  equal,
  match,
  notDeepStrictEqual,
  ok,
  rejects,
  throws,
} from "node:assert/strict";
import { Checkpoint, CheckpointError, InvalidOptionError } from "../mod.ts";
import { allocateCheckpointBlob, openCheckpoint, sealCheckpoint } from "../lib/checkpoint.ts";
import { resolveCheckpointKey } from "../lib/checkpoint_key.ts";
import { withSession } from "./_helpers/session.ts";

const KEY_MODULE = new URL("../lib/checkpoint_key.ts", import.meta.url).href;
const PROBE = `
import { resolveCheckpointKey } from ${JSON.stringify(KEY_MODULE)};
const key = await resolveCheckpointKey();
const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("probe")));
console.log(Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(""));
`;

/** The HMAC of "probe" under the key a fresh Deno process resolves with only `env` (plus PATH, DENO_DIR). */
async function probeInSubprocess(env: Record<string, string>): Promise<string> {
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", PROBE],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", DENO_DIR: denoDir, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  equal(code, 0, decoder.decode(stderr));
  return decoder.decode(stdout).trim();
}

/** The HMAC of "probe" under `key`, computed in this process. */
async function probe(key: string | Uint8Array): Promise<string> {
  const cryptoKey = await resolveCheckpointKey(key);
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode("probe")),
  );
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_key_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function entries(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name).sort();
}

Deno.test("the key file is made on first use: 32 random bytes as hex, mode 0600, in a 0700 directory", async () => {
  await withTempDir(async (dir) => {
    const env = { HOME: `${dir}/home`, XDG_CONFIG_HOME: `${dir}/config` };
    const first = await probeInSubprocess(env);
    const file = `${dir}/config/pyrepl3/checkpoint.key`;
    match(await Deno.readTextFile(file), /^[0-9a-f]{64}\n$/);
    equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    equal((await Deno.stat(`${dir}/config/pyrepl3`)).mode! & 0o777, 0o700);
    deepStrictEqual(await entries(`${dir}/config/pyrepl3`), ["checkpoint.key"]);
    equal(await probeInSubprocess(env), first, "a second process reads the same key");
    equal(first, await probe((await Deno.readTextFile(file)).trim()), "the file's text is the key");
  });
});

Deno.test("without XDG_CONFIG_HOME the key file is ~/.config/pyrepl3/checkpoint.key", async () => {
  await withTempDir(async (dir) => {
    await probeInSubprocess({ HOME: dir });
    match(await Deno.readTextFile(`${dir}/.config/pyrepl3/checkpoint.key`), /^[0-9a-f]{64}\n$/);
  });
});

Deno.test("processes that make the key file at the same time all end up with one key", async () => {
  await withTempDir(async (dir) => {
    const env = { HOME: dir, XDG_CONFIG_HOME: `${dir}/config` };
    const macs = await Promise.all(Array.from({ length: 6 }, () => probeInSubprocess(env)));
    deepStrictEqual(new Set(macs).size, 1, `different keys: ${macs.join(" ")}`);
    deepStrictEqual(
      await entries(`${dir}/config/pyrepl3`),
      ["checkpoint.key"],
      "no temp file left",
    );
    equal(
      macs[0],
      await probe((await Deno.readTextFile(`${dir}/config/pyrepl3/checkpoint.key`)).trim()),
    );
  });
});

Deno.test("PYREPL3_CHECKPOINT_KEY overrides the key file and makes none", async () => {
  await withTempDir(async (dir) => {
    const mac = await probeInSubprocess({
      HOME: dir,
      XDG_CONFIG_HOME: `${dir}/config`,
      PYREPL3_CHECKPOINT_KEY: "a team secret",
    });
    equal(mac, await probe("a team secret"));
    deepStrictEqual(await entries(dir), []);
  });
});

Deno.test("PYREPL3_CHECKPOINT_KEY_FILE names the key file, and its text shared as PYREPL3_CHECKPOINT_KEY is the same key", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/shared/team.key`;
    const mac = await probeInSubprocess({ HOME: dir, PYREPL3_CHECKPOINT_KEY_FILE: file });
    equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    deepStrictEqual(await entries(dir), ["shared"], "no default key file made");
    const text = (await Deno.readTextFile(file)).trim();
    equal(await probeInSubprocess({ HOME: `${dir}/elsewhere`, PYREPL3_CHECKPOINT_KEY: text }), mac);
  });
});

Deno.test("an empty explicit key is refused", async () => {
  await rejects(resolveCheckpointKey(""), InvalidOptionError);
  await rejects(resolveCheckpointKey(new Uint8Array()), InvalidOptionError);
  notDeepStrictEqual(await probe("a"), await probe(new Uint8Array([98])));
});

/** A real worker's checkpoint bytes (unsigned), whatever signing the session does around them. */
async function workerBytes(code: string): Promise<Uint8Array> {
  return await withSession(async (session) => {
    equal((await session.execute(code)).status, "ok");
    return await openCheckpoint((await session.checkpoint()).data, { trust: true });
  });
}

const KEY = "the key it was made with";
// An out-of-band buffer (what numpy arrays use) makes the checkpoint end with buffer bytes.
const raw = await workerBytes(
  "import pickle\nblob = pickle.PickleBuffer(bytearray(range(256)) * 128)\nwords = ['a', 'b'] * 10",
);

Deno.test("a sealed checkpoint opens under its key to exactly the worker's bytes", async () => {
  const sealed = await sealCheckpoint(raw, { key: KEY });
  ok(sealed instanceof Checkpoint);
  equal(new TextDecoder().decode(sealed.data.subarray(0, 8)), "PYR3SIGN");
  equal(sealed.sizeBytes, raw.byteLength + 44);
  deepStrictEqual(await openCheckpoint(sealed.data, { key: KEY }), raw);
  deepStrictEqual(
    await openCheckpoint(sealed.data.slice(), { key: new TextEncoder().encode(KEY) }),
    raw,
  );
});

Deno.test("a blob read with allocateCheckpointBlob is signed in place, once", async () => {
  const blob = allocateCheckpointBlob(raw.length);
  blob.set(raw);
  const first = await sealCheckpoint(blob, { key: KEY });
  equal(first.data.buffer, blob.buffer, "no copy: the signed data is the blob's buffer");
  equal(first.data.byteLength, blob.buffer.byteLength);
  deepStrictEqual(await openCheckpoint(first.data, { key: KEY }), raw);
  const second = await sealCheckpoint(blob, { key: "another key" });
  notDeepStrictEqual(second.data.buffer, blob.buffer);
  deepStrictEqual(await openCheckpoint(first.data, { key: KEY }), raw, "the first one is intact");
  deepStrictEqual(await openCheckpoint(second.data, { key: "another key" }), raw);
});

Deno.test("sealing bytes from elsewhere copies them and leaves the bytes around them alone", async () => {
  const around = new Uint8Array(64 + raw.length + 64).fill(0xa5);
  const view = around.subarray(64, 64 + raw.length);
  view.set(raw);
  const sealed = await sealCheckpoint(view, { key: KEY });
  ok(sealed.data.buffer !== around.buffer);
  ok(around.subarray(0, 64).every((byte) => byte === 0xa5), "the bytes before are unchanged");
  ok(around.subarray(64 + raw.length).every((byte) => byte === 0xa5), "and after");
  deepStrictEqual(view, raw);
  deepStrictEqual(await openCheckpoint(sealed.data, { key: KEY }), raw);
});

Deno.test("Checkpoint.fromBytes reads the same metadata from signed and unsigned bytes", async () => {
  const sealed = await sealCheckpoint(raw, { key: KEY });
  const plain = Checkpoint.fromBytes(raw);
  const read = Checkpoint.fromBytes(sealed.data);
  deepStrictEqual(
    [read.id, read.names, read.skipped, read.pythonVersion, read.executionCount, read.createdAt],
    [
      plain.id,
      plain.names,
      plain.skipped,
      plain.pythonVersion,
      plain.executionCount,
      plain.createdAt,
    ],
  );
  deepStrictEqual(read.names, ["pickle", "blob", "words"]);
});

/** Where the pickle stream ends in the worker's bytes (the signature's digest covers everything before). */
function streamEnd(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = Number(view.getBigUint64(12, true));
  return 28 + header + Number(view.getBigUint64(20 + header, true));
}

Deno.test("a checkpoint with any byte changed is refused, unless trusted", async (t) => {
  const sealed = (await sealCheckpoint(raw, { key: KEY })).data;
  // The signature's digest covers these bytes: openCheckpoint refuses them before the worker sees them.
  const places: [string, number][] = [
    ["the signature version", 9],
    ["the format version", 12 + 8],
    ["the header", 12 + 40],
    ["the pickle stream", 12 + streamEnd(raw) - 2],
    ["the signature", sealed.length - 1],
  ];
  for (const [what, at] of places) {
    await t.step(what, async () => {
      const tampered = sealed.slice();
      tampered[at] ^= 0x01;
      await rejects(openCheckpoint(tampered, { key: KEY }), CheckpointError);
    });
  }
  // The buffers are covered through the SHA-256 of each in the (signed) header: the worker checks them
  // before it unpickles, so restore() refuses them, signed or trusted, and the session keeps its names.
  await t.step("the last buffer byte: restore() refuses it, even under trust: true", async () => {
    const tampered = sealed.slice();
    tampered[sealed.length - 33] ^= 0x01;
    deepStrictEqual((await openCheckpoint(tampered, { key: KEY })).length, raw.length);
    await withSession(async (session) => {
      await session.execute("kept = 1");
      for (const trust of [false, true]) {
        await rejects(
          session.restore(tampered, { trust }),
          (error: Error) => error instanceof CheckpointError && /checksum/.test(error.message),
        );
      }
      equal((await session.execute("kept")).value, 1);
    }, { checkpointKey: KEY });
  });
});

Deno.test("a checkpoint signed under another key is refused with what to do", async () => {
  const sealed = await sealCheckpoint(raw, { key: "someone else's key" });
  await rejects(openCheckpoint(sealed.data, { key: KEY }), (error: Error) => {
    ok(error instanceof CheckpointError);
    match(error.message, /key/);
    match(error.message, /PYREPL3_CHECKPOINT_KEY/);
    match(error.message, /trust: true/);
    return true;
  });
  deepStrictEqual(await openCheckpoint(sealed.data, { trust: true }), raw);
});

Deno.test("an unsigned checkpoint is refused unless trusted", async () => {
  await rejects(openCheckpoint(raw, { key: KEY }), (error: Error) => {
    ok(error instanceof CheckpointError);
    match(error.message, /not signed/);
    match(error.message, /trust: true/);
    return true;
  });
  equal(await openCheckpoint(raw, { trust: true }), raw, "trusted bytes go through uncopied");
});

Deno.test("the default key signs and verifies in the same process", async () => {
  const sealed = await sealCheckpoint(raw);
  deepStrictEqual(await openCheckpoint(sealed.data), raw);
  await rejects(openCheckpoint(sealed.data, { key: KEY }), CheckpointError);
});

Deno.test("bytes that are not a checkpoint are neither sealed nor opened", async () => {
  const junk = new TextEncoder().encode("definitely not a checkpoint, not even signed");
  await rejects(sealCheckpoint(junk, { key: KEY }), CheckpointError);
  await rejects(openCheckpoint(junk, { trust: true }), CheckpointError);
  await rejects(
    openCheckpoint(new TextEncoder().encode("PYR3SIGN"), { trust: true }),
    CheckpointError,
  );
});

Deno.test("a checkpoint of the format before signing is refused as older", async () => {
  const old = raw.slice();
  new DataView(old.buffer).setUint32(8, 1, true);
  throws(() => Checkpoint.fromBytes(old), /older PyREPL3/);
  await rejects(openCheckpoint(old, { trust: true }), /older PyREPL3/);
});
