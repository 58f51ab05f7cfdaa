/**
 * Checkpoint files attacked as an adversarial user would (issue 18): odd targets (directories, symlinks,
 * FIFOs, devices, missing or read-only directories), concurrent writers and readers of one file, restores
 * interrupted or killed, and restored arrays mutated under transactions. A test of an attack that broke
 * failed before its fix (see its commit); the attacks that held are kept as regression tests.
 */
import { deepStrictEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import { CheckpointError, SessionPool } from "../mod.ts";
import { restoreCheckpointFile, verifyCheckpointFile } from "../lib/checkpoint_file.ts";
import { TEST_PYTHON, waitFor, withSession } from "./_helpers/session.ts";
import { pythonHas } from "./_helpers/python_has.ts";
import { listing, run, withDir } from "./_helpers/checkpoint_files.ts";
import { openCheckpoint } from "../lib/checkpoint.ts";

const KEY = "checkpoint file attack key";
/** Binds `_runner_os`: the runner's own copy of `os` (runner/load.py), where a test gates its file writes. */
const RUNNER_OS =
  "import importlib\n_runner_os = importlib.import_module('_pyrepl3_runner.checkpoint_file').os";
const numpy = await pythonHas(TEST_PYTHON, "numpy");

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
      await t.step(
        "code that ignores the interrupt: replaced after graceMs, said in the error",
        async () => {
          await run(
            session,
            "def stubborn():\n    end = time.time() + 30\n    while time.time() < end:\n        try:\n" +
              "            time.sleep(0.05)\n        except KeyboardInterrupt:\n            pass\n" +
              "class Stubborn:\n    def __reduce__(self):\n        return (stubborn, ())\n" +
              "stubborn_value = Stubborn()",
          );
          const stubborn = `${dir}/stubborn.pyrepl3ckpt`;
          await session.checkpoint({ path: stubborn });
          await rejects(
            bounded(
              session.restore(stubborn, { timeoutMs: 300, graceMs: 300 }),
              20_000,
              "never replaced",
            ),
            /restore\(\) did not finish within 300 ms and ignored the interrupt; the interpreter was replaced/,
          );
          equal(await run(session, "'saved' in globals()"), false);
          await Deno.remove(stubborn);
        },
      );
      await rejects(session.restore(path, { timeoutMs: -1 }), /timeoutMs/);
      await rejects(
        session.restore(path, { typo: true } as unknown as { trust: boolean }),
        /unknown restore option/,
      );
      deepStrictEqual(await listing(dir), ["slow.pyrepl3ckpt"]);
    }, { checkpointKey: KEY });
  });
});

Deno.test("checkpoint({ path }) to a directory, a FIFO, a socket or a missing directory is refused before writing", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/folder`);
    await withSession(async (session) => {
      await run(session, "x = 1");
      await rejects(session.checkpoint({ path: `${dir}/folder` }), (error: Error) => {
        ok(error instanceof CheckpointError);
        match(error.message, /folder: it is a directory/);
        return true;
      });
      for (const path of [`${dir}/new/`, `${dir}/new/.`, `${dir}/new/..`, "."]) {
        throws(() => session.checkpoint({ path }), /names a directory/);
      }
      await rejects(
        session.checkpoint({ path: `${dir}/missing/x.pyrepl3ckpt` }),
        (error: Error) => {
          ok(error instanceof CheckpointError);
          match(error.message, /directory .*missing does not exist/);
          return true;
        },
      );
      // A FIFO or a socket (or /dev/null, not tried here) would be replaced by the rename: refused.
      mkfifo(`${dir}/fifo`);
      const socket = Deno.listen({ transport: "unix", path: `${dir}/socket` });
      try {
        for (const name of ["fifo", "socket"]) {
          await rejects(session.checkpoint({ path: `${dir}/${name}` }), (error: Error) => {
            ok(error instanceof CheckpointError);
            match(error.message, /not a regular file/);
            return true;
          });
          const info = await Deno.lstat(`${dir}/${name}`);
          ok(!info.isFile, `${name} is still what it was`);
        }
        deepStrictEqual(await listing(dir), ["fifo", "folder", "socket"]);
      } finally {
        socket.close(); // (removes the socket file)
      }
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

Deno.test("checkpoint({ path }) in a directory it may not write fails with CheckpointError, nothing left behind", async () => {
  await withDir(async (dir) => {
    // Root writes in any directory whatever its mode; /proc takes no new file, even from root.
    const readOnly = Deno.uid() === 0 ? "/proc/self" : `${dir}/ro`;
    if (Deno.uid() !== 0) {
      await Deno.mkdir(readOnly);
      await Deno.chmod(readOnly, 0o555);
    }
    const before = Deno.uid() === 0 ? [] : await listing(readOnly);
    await withSession(async (session) => {
      await run(session, "x = 1");
      await rejects(session.checkpoint({ path: `${readOnly}/x.pyrepl3ckpt` }), CheckpointError);
      equal(await run(session, "x"), 1);
    }, { checkpointKey: KEY });
    if (Deno.uid() !== 0) deepStrictEqual(await listing(readOnly), before);
  });
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
  // The runner calls its own copy of os (runner/load.py): the gate goes there, not in the user's os.
  const hold = `${RUNNER_OS}\n_fsync = _runner_os.fsync\n` +
    `def _gated(fd):\n    open(${JSON.stringify(gate)}).read()\n    _fsync(fd)\n` +
    "_runner_os.fsync = _gated\nbig = bytearray(64 << 20)";
  await Deno.writeTextFile(
    `${dir}/big.yaml`,
    [
      "name: big",
      `python: ${JSON.stringify(TEST_PYTHON)}`, // the Python the restore below runs: one minor version
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
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const report = new Response(child.stdout).text(); // read all along: a full pipe would stall the CLI
  // Opening the FIFO for writing waits until the worker, mid-checkpoint, opens it for reading.
  const opening = Deno.open(gate, { write: true });
  const reached = await bounded(
    Promise.race([opening.then(() => "gate"), child.status.then(() => "exit")]),
    60_000,
    "the checkpoint never started",
  );
  if (reached === "exit") {
    // The CLI ended before the checkpoint's write: unblock our open and fail with what it said.
    (await Deno.open(gate, { read: true })).close();
    (await opening).close();
    const said = await new Response(child.stderr).text();
    throw new Error(`the CLI exited before the checkpoint's write: ${await report}\n${said}`);
  }
  const writer = await opening;
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
  await report;
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

/** The offsets where a checkpoint file's parts begin and end (signed prefix, header, stream, buffers, MAC). */
function boundaries(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const points = [0, 8, 12, 20, 24];
  let at = 24;
  const header = u64(at);
  at += 8 + header;
  points.push(32, at);
  const stream = u64(at);
  at += 8 + stream;
  points.push(at - stream, at);
  const count = u64(at);
  at += 8;
  points.push(at);
  for (let index = 0; index < count; index++) {
    const size = u64(at);
    at += 8;
    points.push(at);
    // Padding up to the buffer's alignment: the buffer starts at the next non-zero byte or at its
    // alignment; both ends of the buffer are boundaries.
    const align = size >= 1 << 20 ? 1 << 16 : 64;
    at += (align - at % align) % align;
    points.push(at, at + size);
    at += size;
  }
  equal(at, bytes.length - 32, "the layout was read to the signature");
  points.push(bytes.length - 32, bytes.length - 1);
  return points;
}

Deno.test("a file truncated at every boundary of its layout (and one byte either side) is refused", async () => {
  await withDir(async (dir) => {
    const good = `${dir}/good.pyrepl3ckpt`;
    const bad = `${dir}/bad.pyrepl3ckpt`;
    await withSession(async (session) => {
      await run(
        session,
        "import pickle\nsmall = pickle.PickleBuffer(bytearray(range(200)))\n" +
          "large = pickle.PickleBuffer(bytearray(2 << 20))\nwords = ['a', 'b']",
      );
      await session.checkpoint({ path: good });
      await run(session, "del small, large, words\nkept = 'mine'");
      const bytes = await Deno.readFile(good);
      const cuts = [...new Set(boundaries(bytes).flatMap((at) => [at - 1, at, at + 1]))]
        .filter((at) => at >= 0 && at < bytes.length).sort((a, b) => a - b);
      ok(cuts.length > 30, `${cuts.length} cuts`);
      for (const at of cuts) {
        await Deno.writeFile(bad, bytes.subarray(0, at));
        for (const trust of [false, true]) {
          await rejects(session.restore(bad, { trust }), (error: Error) => {
            ok(error instanceof CheckpointError, `cut at ${at}, trust ${trust}: ${error}`);
            return true;
          });
        }
      }
      // Huge declared lengths: refused without allocating them. A buffer's length is after the signed
      // part, so the signature still matches: the worker's bounds checks refuse it.
      const view = (copy: Uint8Array) =>
        new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
      const points = boundaries(bytes);
      const lengths: [string, number][] = [
        ["header", 24],
        ["stream", points[6]],
        ["buffer count", points[8]],
        ["first buffer", points[9]],
      ];
      for (const [what, at] of lengths) {
        for (const huge of [2n ** 40n, 2n ** 62n, 2n ** 64n - 1n]) {
          const copy = bytes.slice();
          view(copy).setBigUint64(at, huge, true);
          await Deno.writeFile(bad, copy);
          for (const trust of [false, true]) {
            await rejects(session.restore(bad, { trust }), (error: Error) => {
              ok(error instanceof CheckpointError, `${what} length ${huge}: ${error}`);
              match(error.message, /trunc|corrupt|signature|runs past/);
              return true;
            });
          }
        }
      }
      deepStrictEqual(await run(session, "[kept, 'words' in globals()]"), ["mine", false]);
    }, { checkpointKey: KEY });
  });
});

Deno.test("the worker killed (SIGKILL) in the middle of restore(path): a typed error, no hang", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/slow.pyrepl3ckpt`;
    const started = `${dir}/started`;
    await withSession(async (session) => {
      // Unpickling `slow` marks that it started, then sleeps (the function is saved by value).
      await run(
        session,
        "import time, pathlib\n" +
          `def mark_and_sleep():\n    pathlib.Path(${
            JSON.stringify(started)
          }).touch()\n    time.sleep(30)\n` +
          "class Slow:\n    def __reduce__(self):\n        return (mark_and_sleep, ())\nslow = Slow()",
      );
      await session.checkpoint({ path });
    }, { checkpointKey: KEY });
    await withSession(async (session) => {
      await run(session, "import pathlib, time");
      const restoring = session.restore(path);
      restoring.catch(() => {});
      ok(
        await waitFor(() => exists(started), 20_000),
        "the restore never ran the checkpoint's code",
      );
      Deno.kill(session.pid, "SIGKILL");
      await rejects(bounded(restoring, 20_000, "restore hung"), { name: "SessionDeadError" });
      await rejects(bounded(session.restore(path), 20_000, "hung"), { name: "SessionDeadError" });
    }, { checkpointKey: KEY });
  });
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "one file restored into two sessions: writes, rollbacks and savepoints stay in their session",
  ignore: !numpy,
  fn: async () => {
    await withDir(async (dir) => {
      const path = `${dir}/shared.pyrepl3ckpt`;
      await withSession(async (session) => {
        await run(session, "import numpy as np\narr = np.arange(2**20, dtype=np.float64)");
        await session.checkpoint({ path });
      }, { checkpointKey: KEY });
      const before = await Deno.readFile(path);
      await withSession(async (first) => {
        await withSession(async (second) => {
          await first.restore(path);
          await second.restore(path);
          const always = await first.execute("arr[:] = -1.0", { transaction: "rollback_always" });
          equal(always.status, "ok");
          equal(await run(first, "float(arr.sum())"), (2 ** 20 - 1) * 2 ** 19);
          equal((await first.execute("arr[:10] = 5.0", { transaction: "explicit" })).status, "ok");
          await first.rollback();
          equal(await run(first, "float(arr[3])"), 3);
          await run(first, "arr[:] = 9.0");
          deepStrictEqual(await run(second, "[float(arr[0]), float(arr[-1])]"), [0, 2 ** 20 - 1]);
          equal(await run(first, "float(arr[-1])"), 9);
        }, { checkpointKey: KEY });
      }, { checkpointKey: KEY });
      deepStrictEqual(await Deno.readFile(path), before, "the file on disk never changes");
    });
  },
});

Deno.test("a checkpoint file of another format version is refused, signed or trusted", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/v.pyrepl3ckpt`;
    await withSession(async (session) => {
      await run(session, "x = 'mine'");
      await session.checkpoint({ path });
      const raw = await openCheckpoint(await Deno.readFile(path), { key: KEY });
      for (const version of [2, 4, 0xffffffff]) {
        const copy = raw.slice();
        new DataView(copy.buffer).setUint32(8, version, true);
        await Deno.writeFile(`${dir}/other.pyrepl3ckpt`, copy);
        await rejects(
          session.restore(`${dir}/other.pyrepl3ckpt`, { trust: true }),
          (error: Error) => {
            ok(error instanceof CheckpointError);
            match(error.message, new RegExp(`format ${version} is (newer|from an older)`));
            return true;
          },
        );
      }
      equal(await run(session, "x"), "mine");
    }, { checkpointKey: KEY });
  });
});

Deno.test("checkpoint files with the longest names a file system takes (255 bytes) round-trip", async () => {
  await withDir(async (dir) => {
    await withSession(async (session) => {
      await run(session, "x = 'long'");
      // 255 bytes: ASCII, and two-byte characters that a cut could split (254 bytes + 1).
      for (const name of ["a".repeat(243) + ".pyrepl3ckpt", "é".repeat(121) + ".pyrepl3ckpt"]) {
        const path = `${dir}/${name}`;
        equal((await session.checkpoint({ path })).path, path);
        await run(session, "x = 'changed'");
        await session.restore(path);
        equal(await run(session, "x"), "long");
      }
      // One byte more is a name no file system takes: refused before anything is written.
      await rejects(session.checkpoint({ path: `${dir}/${"b".repeat(256)}` }), (error: Error) => {
        ok(error instanceof CheckpointError);
        match(error.message, /cannot write the checkpoint file/);
        return true;
      });
      equal((await listing(dir)).length, 2);
    }, { checkpointKey: KEY });
  });
});

Deno.test("interrupt() and timeoutMs in the middle of writing a checkpoint file: no file left, state kept", async (t) => {
  await withDir(async (dir) => {
    const gate = `${dir}/gate`;
    mkfifo(gate);
    const path = `${dir}/out.pyrepl3ckpt`;
    await withSession(async (session) => {
      // The worker's fsync of the written temporary file first opens the FIFO: it waits there, mid-write.
      await run(
        session,
        `${RUNNER_OS}\n_fsync = _runner_os.fsync\ndef _gated(fd):\n    open(${
          JSON.stringify(gate)
        }).read()\n` +
          "    _fsync(fd)\n_runner_os.fsync = _gated\nbig = bytearray(8 << 20)\nkept = 'mine'",
      );
      const temps = async () => (await listing(dir)).filter((name) => name.endsWith(".tmp"));
      await t.step("interrupt()", async () => {
        const writing = session.checkpoint({ path });
        writing.catch(() => {});
        let seen = false;
        for (let i = 0; i < 1000 && !seen; i++) {
          seen = (await temps()).length === 1;
          if (!seen) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        ok(seen, "the temporary file never appeared");
        await session.interrupt();
        await rejects(
          bounded(writing, 20_000, "not interrupted"),
          /checkpoint\(\) was interrupted/,
        );
      });
      await t.step("timeoutMs", async () => {
        await rejects(
          bounded(session.checkpoint({ path, timeoutMs: 500 }), 20_000, "no timeout"),
          /checkpoint\(\) was interrupted/,
        );
      });
      deepStrictEqual(await listing(dir), ["gate"]);
      deepStrictEqual(await run(session, "[kept, len(big)]"), ["mine", 8 << 20]);
    }, { checkpointKey: KEY });
  });
});

Deno.test("two sessions checkpointing to one path at once leave one whole file of one of them", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/both.pyrepl3ckpt`;
    const state = (who: string, fill: number) =>
      `import pickle\nwho = '${who}'\nblob = pickle.PickleBuffer(bytearray([${fill}]) * (16 << 20))`;
    await withSession(async (a) => {
      await withSession(async (b) => {
        await run(a, state("a", 1));
        await run(b, state("b", 2));
        for (let round = 0; round < 3; round++) {
          const results = await Promise.allSettled([
            a.checkpoint({ path }),
            b.checkpoint({ path }),
          ]);
          deepStrictEqual(results.map((result) => result.status), ["fulfilled", "fulfilled"]);
          deepStrictEqual(await listing(dir), ["both.pyrepl3ckpt"]);
          await withSession(async (reader) => {
            await reader.restore(path);
            const [who, fills] = await run(
              reader,
              "[who, sorted(set(bytes(memoryview(blob))))]",
            ) as [
              string,
              number[],
            ];
            deepStrictEqual(fills, [who === "a" ? 1 : 2], "never a mix of the two");
          }, { checkpointKey: KEY });
        }
      }, { checkpointKey: KEY });
    }, { checkpointKey: KEY });
  });
});

Deno.test("a checkpoint file of 20,000 small buffers (60,000 parts) is written whole, short writes too", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/many.pyrepl3ckpt`;
    await withSession(async (session) => {
      await run(
        session,
        "import pickle\nmany = [pickle.PickleBuffer(bytearray([i % 251]) * (1 + i % 7)) for i in range(20000)]",
      );
      await session.checkpoint({ path });
      await run(session, "del many");
      await session.restore(path);
      equal(
        await run(
          session,
          "all(bytes(memoryview(b)) == bytes([i % 251]) * (1 + i % 7) for i, b in enumerate(many))",
        ),
        true,
      );
      // The writer with every writev() cut short at 7 bytes: the same bytes, in order.
      const written = await run(
        session,
        "import os, sys\nwriter = next(m for n, m in sys.modules.items() if n.endswith('.checkpoint_file'))\n" +
          "parts = [b'head', bytearray(b'x' * 1000), memoryview(bytearray(range(256))), b'', b'tail'] * 300\n" +
          `fd = os.open(${JSON.stringify(`${dir}/short`)}, os.O_WRONLY | os.O_CREAT, 0o600)\n` +
          "real = writer.os.writev\nwriter.os.writev = lambda fd, views: real(fd, [bytes(b''.join(views))[:7]])\n" +
          "try:\n    total = writer._write_all(fd, parts)\nfinally:\n    writer.os.writev = real\n    os.close(fd)\n" +
          `[total, open(${
            JSON.stringify(`${dir}/short`)
          }, 'rb').read() == b''.join(bytes(p) for p in parts)]`,
      );
      deepStrictEqual(written, [300 * (4 + 1000 + 256 + 4), true]);
    }, { checkpointKey: KEY });
  });
});
