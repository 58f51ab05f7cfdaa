/**
 * The attacks on restore() that checkpoint signing stops, against real sessions: a crafted checkpoint whose
 * pickle runs a shell command, a header that names `__builtins__`, and a flipped byte in an out-of-band
 * buffer. Each refusal leaves the session as it was.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { CheckpointError, type Session } from "../mod.ts";
import { openCheckpoint, sealCheckpoint } from "../lib/checkpoint.ts";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";

async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback);
  return result.value;
}

/** The worker's bytes of a checkpoint of a session that ran `code`: what an attacker can write by hand. */
async function craftedBytes(code: string): Promise<Uint8Array> {
  return await withSession(async (attacker) => {
    await run(attacker, code);
    return await openCheckpoint((await attacker.checkpoint()).data, { trust: true });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** `raw` (the worker's bytes, no out-of-band buffers) with the JSON header's `names` replaced. */
function withNames(raw: Uint8Array, names: string[]): Uint8Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const length = Number(view.getBigUint64(12, true));
  const header = JSON.parse(new TextDecoder().decode(raw.subarray(20, 20 + length)));
  const patched = new TextEncoder().encode(JSON.stringify({ ...header, names }));
  const out = new Uint8Array(raw.length - length + patched.length);
  out.set(raw.subarray(0, 12));
  new DataView(out.buffer).setBigUint64(12, BigInt(patched.length), true);
  out.set(patched, 20);
  out.set(raw.subarray(20 + length), 20 + patched.length);
  return out;
}

Deno.test("restore() refuses a crafted checkpoint whose pickle runs a command, and the command never runs", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_attack_" });
  const marker = `${dir}/MARKER`;
  try {
    const raw = await craftedBytes(
      `import os\nclass Payload:\n    def __reduce__(self):\n        return (os.system, (${
        JSON.stringify(`touch ${marker}`)
      },))\npayload = Payload()`,
    );
    await withSession(async (victim) => {
      await run(victim, "secret = 'mine'");
      const untouched = async () => {
        equal(await exists(marker), false, "the payload ran");
        deepStrictEqual(await run(victim, "[secret, 'payload' in globals()]"), ["mine", false]);
      };

      await t.step("unsigned", async () => {
        await rejects(victim.restore(raw), CheckpointError);
        await untouched();
      });

      await t.step("signed under the attacker's own key", async () => {
        const forged = await sealCheckpoint(raw, { key: "the attacker's key" });
        await rejects(victim.restore(forged), CheckpointError);
        await rejects(victim.restore(forged.data), CheckpointError);
        await untouched();
      });

      // The control: the same bytes, trusted, do run the command, so the refusals above are real.
      await t.step("trusted explicitly, it runs (the payload is live)", async () => {
        await victim.restore(raw, { trust: true });
        equal(await exists(marker), true);
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a checkpoint whose header names __builtins__ is refused, even signed or trusted, and builtins stay", async () => {
  const raw = await craftedBytes("replacement = {'len': None}");
  const crafted = withNames(raw, ["__builtins__"]);
  await withSession(async (session) => {
    await run(session, "kept = 1");
    const refusedForBuiltins = (error: Error) => {
      ok(error instanceof CheckpointError, `${error}`);
      match(error.message, /__builtins__/);
      return true;
    };
    // Signed with this process's key, the one the session signs and verifies with: only the worker's
    // own check stands between the header and the session's builtins.
    await rejects(session.restore((await sealCheckpoint(crafted)).data), refusedForBuiltins);
    await rejects(session.restore(crafted, { trust: true }), refusedForBuiltins);
    deepStrictEqual(
      await run(session, "import builtins\n[len('abc'), __builtins__ is builtins, kept]"),
      [3, true, 1],
    );
  });
});

Deno.test("a flipped byte in an out-of-band buffer is refused even under trust: true", async () => {
  const raw = await craftedBytes(
    "try:\n    import numpy\n    data = numpy.arange(8192, dtype=numpy.int64)\n" +
      "except ImportError:\n    import pickle\n    data = pickle.PickleBuffer(bytearray(range(256)) * 256)",
  );
  const corrupt = raw.slice();
  corrupt[corrupt.length - 1000] ^= 0x01; // the buffer is the checkpoint's last bytes
  await withSession(async (session) => {
    await run(session, "kept = 1");
    await rejects(session.restore(corrupt, { trust: true }), /checksum/);
    deepStrictEqual(await run(session, "[kept, 'data' in globals()]"), [1, false]);
    await session.restore(raw, { trust: true });
    equal(await run(session, "'data' in globals()"), true);
  });
});

Deno.test("checkpoint() signs; its bytes restore as they are, and unsigned bytes only with trust: true", async () => {
  await withSession(async (first) => {
    await run(first, "kept = 42");
    const checkpoint = await first.checkpoint();
    equal(new TextDecoder().decode(checkpoint.data.subarray(0, 8)), "PYR3SIGN");
    const unsigned = await openCheckpoint(checkpoint.data);
    await withSession(async (second) => {
      await second.restore(checkpoint.data);
      equal(await run(second, "kept"), 42);
      await run(second, "kept = 0");
      await rejects(second.restore(unsigned), /not signed/);
      equal(await run(second, "kept"), 0);
      await second.restore(unsigned, { trust: true });
      equal(await run(second, "kept"), 42);
    });
  });
});

Deno.test("PYREPL3_CHECKPOINT_KEY set for Deno does not reach the Python process", async () => {
  const script = `
    import { Session } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
    await using session = new Session({ python: ${JSON.stringify(TEST_PYTHON)} });
    await session.start();
    const result = await session.execute(
      "import os\\n[os.environ.get('PYREPL3_CHECKPOINT_KEY'), b'the-secret-key' in open('/proc/self/environ', 'rb').read()]",
    );
    console.log(JSON.stringify(result.value ?? result.error));
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { PYREPL3_CHECKPOINT_KEY: "the-secret-key" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  equal(code, 0, decoder.decode(stderr));
  deepStrictEqual(JSON.parse(decoder.decode(stdout)), [null, false]);
});
