/**
 * The handshake and framing seen from outside: a worker that speaks another protocol version or sends
 * garbage is refused with a clear, typed error, and no process is left behind. The impostor is a
 * sitecustomize module (PYTHONPATH) that writes to the keeper's stdout before the runner starts.
 */
import { match, rejects } from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { encodeFrame } from "../lib/frames.ts";
import { ProtocolError, ProtocolVersionError, Session, WorkerStartError } from "../mod.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

async function impostorDir(stdoutBytes: Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3-impostor-" });
  const payload = Array.from(stdoutBytes).join(",");
  await Deno.writeTextFile(
    `${dir}/sitecustomize.py`,
    `import os\nif os.environ.get("IMPOSTOR") == "PYR3":\n` +
      `    os.write(1, bytes([${payload}]))\n    os._exit(0)\n`,
  );
  return dir;
}

/** A session whose worker runs the impostor (the interpreter lookup itself runs without the env). */
function startWith(dir: string): Session {
  return new Session({ python: TEST_PYTHON, env: { PYTHONPATH: dir, IMPOSTOR: "PYR3" } });
}

Deno.test("a worker that says hello with another protocol version is refused with ProtocolVersionError", async () => {
  const hello = encode({
    t: "keeper_hello",
    protocol: 99,
    pid: 1,
    python: "3.11.7",
    executable: "x",
  });
  const dir = await impostorDir(encodeFrame(hello));
  const session = startWith(dir);
  try {
    await rejects(session.start(), ProtocolVersionError);
  } finally {
    await session.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker whose first frame is not msgpack is refused with ProtocolError", async () => {
  const garbage = encodeFrame(new Uint8Array([0xc1, 0xc1, 0xc1]));
  const dir = await impostorDir(garbage);
  const session = startWith(dir);
  try {
    await rejects(session.start(), (error: unknown) => {
      match(String(error), /malformed frame/);
      return error instanceof ProtocolError;
    });
  } finally {
    await session.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker that exits before its hello fails start() with WorkerStartError", async () => {
  const dir = await impostorDir(new Uint8Array([]));
  const session = startWith(dir);
  try {
    await rejects(session.start(), WorkerStartError);
  } finally {
    await session.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
