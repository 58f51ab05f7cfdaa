/**
 * Checkpoint files attacked as an adversarial user would (issue 18): odd targets (directories, symlinks,
 * FIFOs, devices, missing or read-only directories), concurrent writers and readers of one file, restores
 * interrupted or killed, and restored arrays mutated under transactions. Each test failed before its fix.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { CheckpointError, type Session } from "../mod.ts";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";

const KEY = "checkpoint file attack key";

async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback);
  return result.value;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_ckpt_attack_" });
  try {
    await fn(dir);
  } finally {
    await Deno.chmod(dir, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

/** The names in `dir`, sorted. */
async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Rejects with `message` if `promise` has not settled within `ms` (a bound against a hang, not a timing). */
function bounded<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function mkfifo(path: string): void {
  const made = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  ok(made.success, "mkfifo failed");
}

Deno.test("restore() of a FIFO, a directory or a device is refused at once, never waits for a writer", async () => {
  await withDir(async (dir) => {
    const fifo = `${dir}/pipe.pyrepl3ckpt`;
    mkfifo(fifo);
    await Deno.mkdir(`${dir}/folder.pyrepl3ckpt`);
    await withSession(async (session) => {
      await run(session, "kept = 'mine'");
      for (const path of [fifo, `${dir}/folder.pyrepl3ckpt`, "/dev/zero"]) {
        for (const trust of [false, true]) {
          await rejects(
            bounded(session.restore(path, { trust }), 10_000, `restore(${path}) hung`),
            (error: Error) => {
              ok(error instanceof CheckpointError, `${path}: ${error}`);
              return true;
            },
          );
        }
      }
      equal(await run(session, "kept"), "mine");
      // The worker's own open is non-blocking too (a FIFO swapped in after Deno's check): called directly.
      await session.checkpoint({ path: `${dir}/loaded.pyrepl3ckpt` }); // imports checkpoint_file
      const result = await bounded(
        session.execute(
          "import sys\nloader = next(m for n, m in sys.modules.items() if n.endswith('.checkpoint_file'))\n" +
            `try:\n    loader.load_checkpoint_file(${JSON.stringify(fifo)}, {}, None)\n` +
            "except Exception as exc:\n    outcome = f'{type(exc).__name__}: {exc}'\noutcome",
        ),
        10_000,
        "the worker's open of a FIFO hung",
      );
      match(String(result.value), /CheckpointError: .*not a regular file/);
    }, { checkpointKey: KEY });
  });
});
