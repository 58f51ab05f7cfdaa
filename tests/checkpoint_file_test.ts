/**
 * Checkpoint files: `checkpoint({ path })` has the worker write the file (atomically, signed) and
 * `restore(path)` has it read the file, numpy arrays mapped copy-on-write. Corrupt, truncated, unsigned and
 * mis-signed files are refused with the session untouched; a worker killed while writing leaves neither a
 * temporary file nor a half-written target.
 */
import { deepStrictEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import { Checkpoint, CheckpointError } from "../mod.ts";
import { openCheckpoint } from "../lib/checkpoint.ts";
import { CHECKPOINT_FILE_EXTENSION } from "../lib/checkpoint_file.ts";
import { loadScenario } from "../lib/scenario/load.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";
import { pythonHas } from "./_helpers/python_has.ts";
import { listing, run, withDir } from "./_helpers/checkpoint_files.ts";

const numpy = await pythonHas(TEST_PYTHON, "numpy");
const KEY = "checkpoint file test key";

const STATE = numpy
  ? "import numpy as np\narr = np.arange(3 * 2**18, dtype=np.float64).reshape(3, -1)\nsame = arr\n" +
    "frozen = np.arange(10)\nfrozen.flags.writeable = False\nwords = {'a': [1, 2]}"
  : "import pickle\narr = pickle.PickleBuffer(bytearray(range(256)) * 4096)\nsame = arr\nwords = {'a': [1, 2]}";

Deno.test("a checkpoint file round-trips in the same and in a fresh session", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/state${CHECKPOINT_FILE_EXTENSION}`;
    let checkpoint: Checkpoint | null = null;
    await withSession(async (session) => {
      await run(session, STATE);
      checkpoint = await session.checkpoint({ path });
      equal(checkpoint.path, path);
      ok(checkpoint.names.includes("arr") && checkpoint.names.includes("words"));
      equal(checkpoint.sizeBytes, (await Deno.stat(path)).size);
      // Only the file: no temporary file beside it.
      deepStrictEqual(await listing(dir), [`state${CHECKPOINT_FILE_EXTENSION}`]);
      // Its bytes never entered Deno: `data` says where they are.
      try {
        checkpoint.data;
        ok(false, "data of a file checkpoint should throw");
      } catch (error) {
        ok(error instanceof CheckpointError);
        match((error as Error).message, /state\.pyrepl3ckpt/);
      }
      await run(session, "words = 'changed'\nextra = 1");
      await session.restore(path);
      deepStrictEqual(await run(session, "[words, 'extra' in globals()]"), [{ a: [1, 2] }, false]);
    }, { checkpointKey: KEY });
    await withSession(async (fresh) => {
      await fresh.restore(checkpoint!);
      deepStrictEqual(await run(fresh, "words"), { a: [1, 2] });
      await fresh.restore({ path });
      // Aliases stay aliases (numpy arrays are memoized; a bare PickleBuffer is not, by pickle).
      if (numpy) equal(await run(fresh, "arr is same"), true);
    }, { checkpointKey: KEY });
    // The file holds what Checkpoint.data holds: its bytes restore through the bytes path too.
    const bytes = await Deno.readFile(path);
    equal((await openCheckpoint(bytes, { key: KEY })).length, bytes.length - 44);
    deepStrictEqual((await Checkpoint.fromFile(path)).names, checkpoint!.names);
    await withSession(async (fresh) => {
      await fresh.restore(Checkpoint.fromBytes(bytes));
      deepStrictEqual(await run(fresh, "words"), { a: [1, 2] });
    }, { checkpointKey: KEY });
  });
});

Deno.test({
  name: "numpy arrays restored from a file are mapped, writable, private and equal",
  ignore: !numpy,
  fn: async () => {
    await withDir(async (dir) => {
      const path = `${dir}/arrays${CHECKPOINT_FILE_EXTENSION}`;
      await withSession(async (session) => {
        await run(session, STATE);
        await session.checkpoint({ path });
      }, { checkpointKey: KEY });
      const before = await Deno.readFile(path);
      await withSession(async (fresh) => {
        await fresh.restore(path);
        deepStrictEqual(
          await run(
            fresh,
            "import mmap\nexpected = np.arange(3 * 2**18, dtype=np.float64).reshape(3, -1)\n" +
              "[bool((arr == expected).all()), arr.flags.writeable, frozen.flags.writeable, arr is same, " +
              "isinstance(arr.base.base.obj, mmap.mmap), arr.ctypes.data % 4096]",
          ),
          [true, true, false, true, true, 0],
        );
        await run(fresh, "arr[0, 0] = -1.0\narr[2, -1] = 7.0");
        deepStrictEqual(await run(fresh, "[float(arr[0, 0]), float(same[2, -1])]"), [-1, 7]);
      }, { checkpointKey: KEY });
      // Copy-on-write: the session's writes never reach the file.
      deepStrictEqual(await Deno.readFile(path), before);
    });
  },
});

/** Writes a checkpoint file of STATE and returns its bytes (the worker's side of a swap: Python tests). */
async function fileBytes(path: string): Promise<Uint8Array> {
  await withSession(async (session) => {
    await run(session, STATE);
    await session.checkpoint({ path });
  }, { checkpointKey: KEY });
  return await Deno.readFile(path);
}

Deno.test("corrupt, truncated, unsigned and mis-signed files are refused, the session untouched", async (t) => {
  await withDir(async (dir) => {
    const good = `${dir}/good${CHECKPOINT_FILE_EXTENSION}`;
    const bytes = await fileBytes(good);
    const bad = `${dir}/bad${CHECKPOINT_FILE_EXTENSION}`;
    await withSession(async (session) => {
      await run(session, "kept = 'mine'");
      const refused = async (
        what: string,
        content: Uint8Array,
        pattern: RegExp,
        options: { trust?: boolean } = {},
      ) => {
        await t.step(what, async () => {
          await Deno.writeFile(bad, content);
          await rejects(session.restore(bad, options), (error: Error) => {
            ok(error instanceof CheckpointError, `${error}`);
            match(error.message, pattern);
            return true;
          });
          deepStrictEqual(await run(session, "[kept, 'words' in globals()]"), ["mine", false]);
        });
      };
      const flipped = (at: number) => {
        const copy = bytes.slice();
        copy[at] ^= 0x01;
        return copy;
      };
      // The array's bytes are the file's last ones before the 32-byte signature.
      await refused("a flipped byte in a buffer", flipped(bytes.length - 32 - 1000), /checksum/);
      await refused(
        "a flipped byte in a buffer, even trusted",
        flipped(bytes.length - 32 - 1000),
        /checksum/,
        { trust: true },
      );
      await refused("a flipped byte in the header", flipped(12 + 40), /signature|corrupt/);
      await refused("a flipped signature byte", flipped(bytes.length - 1), /signature/);
      await refused(
        "truncated in the buffers",
        bytes.slice(0, bytes.length - 5000),
        /signature|trunc/,
      );
      await refused(
        "truncated in the buffers, trusted",
        bytes.slice(0, bytes.length - 5000),
        /trunc|corrupt/,
        { trust: true },
      );
      await refused("truncated in the header", bytes.slice(0, 30), /trunc/);
      await refused("empty", new Uint8Array(), /trunc|not a PyREPL3/);
      await refused(
        "not a checkpoint",
        new TextEncoder().encode("hello world, not a checkpoint"),
        /PyREPL3/,
      );
      await refused(
        "unsigned (the bare worker bytes)",
        await openCheckpoint(bytes, { key: KEY }),
        /not signed/,
      );
      await t.step("unsigned, trusted explicitly: restored", async () => {
        await Deno.writeFile(bad, await openCheckpoint(bytes, { key: KEY }));
        await session.restore(bad, { trust: true });
        deepStrictEqual(await run(session, "words"), { a: [1, 2] });
        await run(session, "del words\nkept = 'mine'");
      });
      await t.step("a missing file", async () => {
        await rejects(
          session.restore(`${dir}/missing${CHECKPOINT_FILE_EXTENSION}`),
          CheckpointError,
        );
      });
    }, { checkpointKey: KEY });
    await t.step("signed under another key: refused, unless trusted", async () => {
      await withSession(async (session) => {
        await run(session, "kept = 'mine'");
        await rejects(session.restore(good), /signature does not match/);
        equal(await run(session, "'words' in globals()"), false);
        await session.restore(good, { trust: true });
        deepStrictEqual(await run(session, "words"), { a: [1, 2] });
      }, { checkpointKey: "another key" });
    });
  });
});

Deno.test("a worker killed while writing leaves no temporary file and the old target whole", async (t) => {
  await withDir(async (dir) => {
    const path = `${dir}/target${CHECKPOINT_FILE_EXTENSION}`;
    const old = await fileBytes(path);
    await t.step("killed by the kernel at its file size limit (SIGXFSZ), mid-write", async () => {
      await withSession(async (session) => {
        await run(
          session,
          "import resource, signal\nbig = bytearray(8 << 20)\nmarker = 1\n" +
            "signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n" +
            "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))",
        );
        // The kernel killed it: the session reports its worker dead.
        await rejects(session.checkpoint({ path }), { name: "SessionDeadError" });
      }, { checkpointKey: KEY });
      deepStrictEqual(await listing(dir), [`target${CHECKPOINT_FILE_EXTENSION}`]);
      deepStrictEqual(await Deno.readFile(path), old);
    });
    await t.step(
      "a write error (file size limit, signal ignored): the worker cleans up",
      async () => {
        await withSession(async (session) => {
          await run(
            session,
            "import resource\nbig = bytearray(8 << 20)\n" +
              "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))",
          );
          await rejects(session.checkpoint({ path }), CheckpointError);
          equal(await run(session, "len(big)"), 8 << 20);
        }, { checkpointKey: KEY });
        deepStrictEqual(await listing(dir), [`target${CHECKPOINT_FILE_EXTENSION}`]);
        deepStrictEqual(await Deno.readFile(path), old);
      },
    );
    await t.step("SIGKILL as soon as the temporary file appears", async () => {
      await withSession(async (session) => {
        await run(session, "big = bytearray(256 << 20)\nmarker = 2");
        const writing = session.checkpoint({ path });
        writing.catch(() => {});
        const settled = writing.then(() => true, () => true);
        const deadline = Date.now() + 60_000;
        // Kill as soon as a poll sees the temporary file; if the checkpoint finishes before a poll sees
        // it, the target must be whole and new (checked below): either way, never a part of one.
        while (Date.now() < deadline && !(await Promise.race([settled, tick()]))) {
          if ((await listing(dir)).some((name) => name.endsWith(".tmp"))) {
            Deno.kill(session.pid, "SIGKILL");
            break;
          }
        }
        await settled;
      }, { checkpointKey: KEY });
      deepStrictEqual(await listing(dir), [`target${CHECKPOINT_FILE_EXTENSION}`]);
      // Old or new, never a part: it restores (or, if old, it is byte for byte the old one).
      const now = await Deno.readFile(path);
      if (now.length === old.length && now.every((byte, i) => byte === old[i])) return;
      await withSession(async (session) => {
        await session.restore(path);
        equal(await run(session, "marker"), 2);
      }, { checkpointKey: KEY });
    });
  });
});

function tick(): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), 1));
}

Deno.test("checkpoint({ path }) validates its option and names a relative path from Deno's cwd", async () => {
  await withDir(async (dir) => {
    await withSession(async (session) => {
      await run(session, "x = 1");
      throws(() => session.checkpoint({ path: "" }), /path/);
      const cwd = Deno.cwd();
      Deno.chdir(dir);
      try {
        const checkpoint = await session.checkpoint({ path: "relative.pyrepl3ckpt" });
        equal(checkpoint.path, `${Deno.cwd()}/relative.pyrepl3ckpt`);
      } finally {
        Deno.chdir(cwd);
      }
      await session.restore(`${dir}/relative.pyrepl3ckpt`);
      equal(await run(session, "x"), 1);
    }, { checkpointKey: KEY });
  });
});

Deno.test("scenario steps checkpoint: { name, path } and restore: { path } use checkpoint files", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/saved`);
    await Deno.writeTextFile(
      `${dir}/files.yaml`,
      [
        "name: checkpoint files",
        "steps:",
        "  - exec: kept = [1, 2, 3]",
        "  - checkpoint: { name: first, path: saved/first.pyrepl3ckpt }",
        "  - exec: kept = 'changed'",
        "  - restore: { path: saved/first.pyrepl3ckpt }",
        "  - exec: kept",
        "    expect: { value: [1, 2, 3] }",
        "  - exec: kept = 'again'",
        "  - restore: first",
        "  - exec: kept",
        "    expect: { value: [1, 2, 3] }",
        "  - restart: true",
        "  - restore: { path: saved/first.pyrepl3ckpt }",
        "    session: other",
        "  - exec: kept",
        "    session: other",
        "    expect: { value: [1, 2, 3] }",
      ].join("\n") + "\n",
    );
    const report = await runScenarios([`${dir}/files.yaml`]);
    deepStrictEqual(
      report.scenarios.map((s) => [s.name, s.status]),
      [["checkpoint files", "passed"]],
      JSON.stringify(report.scenarios[0]?.steps?.filter((s) => s.status !== "passed")),
    );
    deepStrictEqual(await listing(`${dir}/saved`), ["first.pyrepl3ckpt"]);
    ok((await Checkpoint.fromFile(`${dir}/saved/first.pyrepl3ckpt`)).names.includes("kept"));
  });
});

Deno.test("a scenario step restoring a corrupt checkpoint file fails with CheckpointError's message", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/bad.pyrepl3ckpt`, "not a checkpoint");
    await Deno.writeTextFile(
      `${dir}/bad.yaml`,
      "name: bad file\nsteps:\n  - restore: { path: bad.pyrepl3ckpt }\n",
    );
    const [scenario] = (await runScenarios([`${dir}/bad.yaml`])).scenarios;
    equal(scenario.status, "failed");
    match(JSON.stringify(scenario.steps), /PyREPL3 checkpoint/);
  });
});

Deno.test("scenario files refuse a checkpoint step with a path but no name", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/invalid.yaml`,
      "name: invalid\nsteps:\n  - checkpoint: { path: x.pyrepl3ckpt }\n",
    );
    await rejects(loadScenario(`${dir}/invalid.yaml`), /name/);
  });
});

Deno.test({
  name:
    "a restored array rolls back: a savepoint's writes never reach the session (bytes and file)",
  ignore: !numpy,
  fn: async () => {
    await withDir(async (dir) => {
      const path = `${dir}/rollback${CHECKPOINT_FILE_EXTENSION}`;
      let checkpoint: Checkpoint | null = null;
      await withSession(async (session) => {
        await run(session, STATE);
        checkpoint = await session.checkpoint();
        await session.checkpoint({ path });
      }, { checkpointKey: KEY });
      for (const source of [checkpoint!, path]) {
        await withSession(async (session) => {
          await session.restore(source);
          const result = await session.execute("arr[0, 0] = 99.0\nsame[1, 1] = 98.0", {
            transaction: "rollback_always",
          });
          equal(result.status, "ok");
          deepStrictEqual(await run(session, "[float(arr[0, 0]), float(arr[1, 1])]"), [
            0,
            2 ** 18 + 1,
          ]);
        }, { checkpointKey: KEY });
      }
    });
  },
});
