/**
 * Checkpoint files attacked as an adversarial user would (issue 18): odd targets (directories, symlinks,
 * FIFOs, devices, missing or read-only directories), concurrent writers and readers of one file, restores
 * interrupted or killed, and restored arrays mutated under transactions. Each test failed before its fix.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { CheckpointError, type Session, SessionPool } from "../mod.ts";
import { restoreCheckpointFile, verifyCheckpointFile } from "../lib/checkpoint_file.ts";
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

Deno.test("restore(path) then checkpoint({ path }) of the same file run in call order", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/state.pyrepl3ckpt`;
    await withSession(async (session) => {
      await run(session, "who = 'saved'");
      await session.checkpoint({ path });
      await run(session, "who = 'changed'");
      // Not awaited in between: the restore was called first, so it reads the file before it is rewritten.
      const results = await Promise.allSettled([
        session.restore(path),
        session.checkpoint({ path }),
      ]);
      deepStrictEqual(results.map((result) => result.status), ["fulfilled", "fulfilled"]);
      equal(await run(session, "who"), "saved");
      // And restore(bytes) then execute(): the execute sees the restored namespace.
      await run(session, "who = 'again'");
      const bytes = (await session.checkpoint()).data;
      await run(session, "who = 'later'");
      const [, seen] = await Promise.all([session.restore(bytes), session.execute("who")]);
      equal(seen.value, "again");
    }, { checkpointKey: KEY });
  });
});

Deno.test("a restore racing a rewrite of its file by another session gets one whole file", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/shared.pyrepl3ckpt`;
    await withSession(async (writer) => {
      await withSession(async (reader) => {
        await run(
          writer,
          "import pickle\nblob = pickle.PickleBuffer(bytearray(4 << 20))\nwho = 'writer'",
        );
        await run(reader, "who = 'reader'");
        await reader.checkpoint({ path });
        const outcomes: string[] = [];
        for (let round = 0; round < 10; round++) {
          const [, restored] = await Promise.allSettled([
            writer.checkpoint({ path }),
            reader.restore(path),
          ]);
          outcomes.push(restored.status === "fulfilled" ? "ok" : `${restored.reason}`);
          ok(["writer", "reader"].includes(await run(reader, "who") as string));
          await reader.checkpoint({ path }); // next round: the reader's file again
          await run(reader, "who = 'reader'");
        }
        deepStrictEqual(outcomes.filter((outcome) => outcome !== "ok"), []);
        deepStrictEqual(await listing(dir), ["shared.pyrepl3ckpt"]);
      }, { checkpointKey: KEY });
    }, { checkpointKey: KEY });
  });
});

Deno.test("restoreCheckpointFile checks a file again when the worker found it replaced", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/swapped.pyrepl3ckpt`;
    await withSession(async (session) => {
      await run(session, "who = 'first'");
      await session.checkpoint({ path: `${dir}/first.pyrepl3ckpt` });
      await run(session, "who = 'second'");
      await session.checkpoint({ path: `${dir}/second.pyrepl3ckpt` });
      // What the worker raises for a file whose digest is not the one Deno checked: the type retried below.
      const raised = await run(
        session,
        "import sys\nloader = next(m for n, m in sys.modules.items() if n.endswith('.checkpoint_file'))\n" +
          `try:\n    loader.load_checkpoint_file(${
            JSON.stringify(`${dir}/first.pyrepl3ckpt`)
          }, {}, '00' * 32)\n` +
          "except Exception as exc:\n    outcome = type(exc).__name__\noutcome",
      );
      equal(raised, "CheckpointChangedError");
    }, { checkpointKey: KEY });
    await Deno.copyFile(`${dir}/first.pyrepl3ckpt`, path);
    const first = await verifyCheckpointFile(path, { key: KEY });
    const second = await verifyCheckpointFile(`${dir}/second.pyrepl3ckpt`, { key: KEY });
    const digests: (string | null)[] = [];
    await restoreCheckpointFile(path, { key: KEY }, async (digest) => {
      digests.push(digest);
      if (digests.length === 1) { // replaced after Deno's check, as the worker reports it
        await Deno.rename(`${dir}/second.pyrepl3ckpt`, path);
        throw new CheckpointError("restore failed: CheckpointChangedError: checkpoint changed");
      }
    });
    deepStrictEqual(digests, [first, second]);
    // Any other error is not retried.
    let calls = 0;
    await rejects(
      restoreCheckpointFile(path, { key: KEY }, () => {
        calls++;
        throw new CheckpointError("restore failed: CheckpointError: corrupt");
      }),
      /corrupt/,
    );
    equal(calls, 1);
  });
});

// Unpickling `slow` sleeps 30 s: only an interrupt or a timeout ends the restore early.
const SLOW =
  "import time\nclass Slow:\n    def __reduce__(self):\n        return (time.sleep, (30,))\n" +
  "slow = Slow()\nsaved = 'from the checkpoint'";

Deno.test("interrupt() and timeoutMs stop a restore running the checkpoint's code; the namespace is kept", async (t) => {
  await withDir(async (dir) => {
    const path = `${dir}/slow.pyrepl3ckpt`;
    await withSession(async (session) => {
      await run(session, SLOW);
      const bytes = (await session.checkpoint()).data;
      await session.checkpoint({ path });
      await run(session, "del slow\nsaved = 'mine'");
      const sources: [string, string | Uint8Array][] = [["a file", path], ["bytes", bytes]];
      for (const [what, source] of sources) {
        await t.step(`interrupt(), from ${what}`, async () => {
          const restoring = session.restore(source);
          // Sent until it lands: one sent before the worker runs the checkpoint's code is dropped.
          const timer = setInterval(() => session.interrupt(), 100);
          restoring.catch(() => {}).finally(() => clearInterval(timer));
          await rejects(
            bounded(restoring, 20_000, "not interrupted"),
            /restore\(\) was interrupted/,
          );
          equal(await run(session, "saved"), "mine");
        });
        await t.step(`timeoutMs, from ${what}`, async () => {
          await rejects(
            bounded(session.restore(source, { timeoutMs: 300 }), 20_000, "timeout ignored"),
            /restore\(\) was interrupted/,
          );
          equal(await run(session, "saved"), "mine");
        });
      }
      await rejects(session.restore(path, { timeoutMs: -1 }), /timeoutMs/);
      await rejects(
        session.restore(path, { typo: true } as unknown as { trust: boolean }),
        /unknown restore option/,
      );
      deepStrictEqual(await listing(dir), ["slow.pyrepl3ckpt"]);
    }, { checkpointKey: KEY });
  });
});

Deno.test("checkpoint({ path }) to a directory or into a missing directory is refused before writing", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/folder`);
    await withSession(async (session) => {
      await run(session, "x = 1");
      await rejects(session.checkpoint({ path: `${dir}/folder` }), (error: Error) => {
        ok(error instanceof CheckpointError);
        match(error.message, /folder: it is a directory/);
        return true;
      });
      await rejects(
        session.checkpoint({ path: `${dir}/missing/x.pyrepl3ckpt` }),
        (error: Error) => {
          ok(error instanceof CheckpointError);
          match(error.message, /directory .*missing does not exist/);
          return true;
        },
      );
      deepStrictEqual(await listing(dir), ["folder"]);
      deepStrictEqual(await listing(`${dir}/folder`), []);
      equal(await run(session, "x"), 1);
    }, { checkpointKey: KEY });
  });
});

Deno.test("checkpoint({ path }) over a symlink replaces the link, never the file it points to", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/victim.txt`, "precious");
    await Deno.symlink(`${dir}/victim.txt`, `${dir}/link.pyrepl3ckpt`);
    await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling.pyrepl3ckpt`);
    await withSession(async (session) => {
      await run(session, "x = 'saved'");
      for (const name of ["link.pyrepl3ckpt", "dangling.pyrepl3ckpt"]) {
        await session.checkpoint({ path: `${dir}/${name}` });
        const info = await Deno.lstat(`${dir}/${name}`);
        ok(info.isFile && !info.isSymlink, `${name} is now a regular file`);
      }
      equal(await Deno.readTextFile(`${dir}/victim.txt`), "precious");
      deepStrictEqual(await listing(dir), [
        "dangling.pyrepl3ckpt",
        "link.pyrepl3ckpt",
        "victim.txt",
      ]);
      await run(session, "x = 'changed'");
      await session.restore(`${dir}/link.pyrepl3ckpt`);
      equal(await run(session, "x"), "saved");
    }, { checkpointKey: KEY });
  });
});

Deno.test({
  name:
    "checkpoint({ path }) in a read-only directory fails with CheckpointError, nothing left behind",
  ignore: Deno.uid() === 0, // root writes anywhere
  fn: async () => {
    await withDir(async (dir) => {
      await Deno.mkdir(`${dir}/ro`);
      await Deno.chmod(`${dir}/ro`, 0o555);
      await withSession(async (session) => {
        await run(session, "x = 1");
        await rejects(session.checkpoint({ path: `${dir}/ro/x.pyrepl3ckpt` }), CheckpointError);
        equal(await run(session, "x"), 1);
      }, { checkpointKey: KEY });
      deepStrictEqual(await listing(`${dir}/ro`), []);
    });
  },
});

Deno.test("checkpoint files with non-ASCII, spaces, quotes and newlines in their names round-trip", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/é 日本 \n'"$x;.pyrepl3ckpt`;
    await withSession(async (session) => {
      await run(session, "x = 'odd'");
      equal((await session.checkpoint({ path })).path, path);
      await run(session, "x = 'changed'");
      await session.restore(path);
      equal(await run(session, "x"), "odd");
      deepStrictEqual(await listing(dir), [`é 日本 \n'"$x;.pyrepl3ckpt`]);
    }, { checkpointKey: KEY });
  });
});

Deno.test("a pooled tenant restores a checkpoint file another tenant of the same pool made (one user, one key)", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/tenant.pyrepl3ckpt`;
    const pool = new SessionPool({
      python: TEST_PYTHON,
      checkpointKey: KEY,
      minIdle: 0,
      maxSize: 2,
    });
    await pool.start();
    try {
      const first = await pool.acquire();
      const second = await pool.acquire();
      await run(first, "secret = 'of the first tenant'");
      await first.checkpoint({ path });
      await second.restore(path);
      equal(await run(second, "secret"), "of the first tenant");
      await pool.release(first);
      await pool.release(second);
    } finally {
      await pool.shutdown();
    }
  });
});

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/**
 * Runs `deno run -A cli.ts` on a scenario whose checkpoint step stops, mid-write, on a FIFO (the worker's
 * fsync of the written temporary file reads it first); once there, sends SIGINT `signals` times (the second
 * after the CLI said it is stopping) and lets the write go on. Returns the exit code and the files left.
 */
async function stopMidCheckpoint(
  signals: 1 | 2,
): Promise<{ code: number; files: string[]; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_ckpt_cli_" });
  const gate = `${dir}/gate`;
  mkfifo(gate);
  await Deno.mkdir(`${dir}/out`);
  const hold = "import os\n_fsync = os.fsync\n" +
    `def _gated(fd):\n    open(${JSON.stringify(gate)}).read()\n    _fsync(fd)\n` +
    "os.fsync = _gated\nbig = bytearray(64 << 20)";
  await Deno.writeTextFile(
    `${dir}/big.yaml`,
    [
      "name: big",
      "steps:",
      `  - exec: ${JSON.stringify(hold)}`,
      "  - checkpoint: { name: first, path: out/big.pyrepl3ckpt }",
      "  - exec: never = 1",
    ].join("\n") + "\n",
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, `${dir}/big.yaml`],
    env: { PYREPL3_CHECKPOINT_KEY: KEY },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Opening the FIFO for writing waits until the worker, mid-checkpoint, opens it for reading.
  const writer = await bounded(
    Deno.open(gate, { write: true }),
    60_000,
    "the checkpoint never started",
  );
  const temps = (await listing(`${dir}/out`)).filter((name) => name.endsWith(".tmp"));
  equal(temps.length, 1, "the temporary file is there, written");
  child.kill("SIGINT");
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("stopping")) {
    const { value, done } = await bounded(stderr.read(), 30_000, `no 'stopping' in: ${said}`);
    if (done) break;
    said += value;
  }
  if (signals === 2) child.kill("SIGINT");
  else writer.close(); // the write goes on
  const { code } = await bounded(child.status, 60_000, "the CLI did not exit");
  if (signals === 2) writer.close();
  await stderr.cancel();
  return { code, files: await listing(`${dir}/out`), dir };
}

Deno.test("the CLI stopped by Ctrl-C mid checkpoint write: exit 130, the file whole, no temporary file", async (t) => {
  await t.step(
    "one Ctrl-C: the checkpoint finishes, whole",
    async () => {
      const { code, files, dir } = await stopMidCheckpoint(1);
      try {
        equal(code, 130);
        deepStrictEqual(files, ["big.pyrepl3ckpt"]);
        await withSession(async (session) => {
          await session.restore(`${dir}/out/big.pyrepl3ckpt`);
          equal(await run(session, "len(big)"), 64 << 20);
        }, { checkpointKey: KEY });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
  await t.step("a second Ctrl-C exits at once: no temporary file left, no target", async () => {
    const { code, files, dir } = await stopMidCheckpoint(2);
    try {
      equal(code, 130);
      deepStrictEqual(files, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
