/**
 * Issue 11 and 18 as an outsider reads them, where an audit found the contract short:
 * - `restore(checkpoint, { trust })` takes a boolean only: a truthy string ("false") used to switch the
 *   signature check off.
 * - An interpreter killed while Deno writes to it (a big restore, a big cell) settles the call with the same
 *   typed death as any other request: it was a `ProtocolError` ("cannot write to the interpreter:
 *   BrokenPipe"), and a read ended by a reset was reported as a protocol error.
 */
import { equal, ok, rejects } from "node:assert/strict";
import {
  CheckpointError,
  InvalidOptionError,
  SessionClosedError,
  SessionDeadError,
  SessionPool,
} from "../mod.ts";
import type { Checkpoint, Session } from "../mod.ts";
import { sweepStaleSocketDirs } from "../lib/_socket_dir.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON, waitFor, withSession } from "./_helpers/session.ts";

async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback ?? result.status);
  return result.value;
}

/** An unsigned checkpoint: a signed one with its signature cut off (what a hand-made file looks like). */
function unsigned(checkpoint: Checkpoint): Uint8Array {
  // PYR3SIGN + a 4-byte signature version, the worker's bytes, a 32-byte HMAC.
  return checkpoint.data.slice(12, checkpoint.data.length - 32);
}

Deno.test("restore() takes trust as a boolean: a truthy string never skips the signature check", async () => {
  await withSession(async (session) => {
    await run(session, "kept = 1");
    const checkpoint = await session.checkpoint();
    const raw = unsigned(checkpoint);
    equal(new TextDecoder().decode(raw.subarray(0, 8)), "PYR3CKPT");
    await run(session, "kept = 2");
    for (const trust of ["false", "true", 1, 0, null, {}]) {
      await rejects(
        session.restore(raw, { trust: trust as unknown as boolean }),
        (error: Error) => {
          ok(error instanceof InvalidOptionError, `${trust}: ${error}`);
          ok(error.message.includes("trust"), error.message);
          return true;
        },
      );
    }
    equal(await run(session, "kept"), 2);
    await rejects(session.restore(raw, { trust: false }), /not signed/);
    await session.restore(raw, { trust: true });
    equal(await run(session, "kept"), 1);
  });
});

/** Stops the interpreter, starts `call` (it writes more than a socket buffer holds), then kills it. */
async function killedMidWrite<T>(
  session: Session,
  call: () => Promise<T>,
): Promise<PromiseSettledResult<T>> {
  const pid = session.pid!;
  Deno.kill(pid, "SIGSTOP"); // it reads nothing more: Deno's write blocks once the socket buffer is full
  const pending = call();
  await new Promise((resolve) => setTimeout(resolve, 200));
  Deno.kill(pid, "SIGKILL");
  const [settled] = await Promise.allSettled([pending]);
  return settled;
}

Deno.test("restore() of bytes whose interpreter is killed mid-transfer rejects with SessionDeadError", async () => {
  const checkpoint = await withSession(async (source) => {
    await run(source, "blob = bytearray(48 << 20)");
    return await source.checkpoint();
  });
  await withSession(async (session) => {
    const settled = await killedMidWrite(session, () => session.restore(checkpoint));
    equal(settled.status, "rejected");
    const reason = (settled as PromiseRejectedResult).reason;
    ok(reason instanceof SessionDeadError, `${reason}`);
    await session.restart();
    equal(await run(session, "'blob' in globals()"), false);
  });
});

Deno.test("execute() of a big cell whose interpreter is killed mid-send ends crashed (or SessionDeadError)", async () => {
  await withSession(async (session) => {
    const code = `x = '${"a".repeat(48 << 20)}'`;
    const settled = await killedMidWrite(session, async () => await session.execute(code));
    if (settled.status === "fulfilled") {
      equal(settled.value.status, "crashed");
    } else {
      ok(settled.reason instanceof SessionDeadError, `${settled.reason}`);
    }
  });
});

// threading.Thread() reads sys.excepthook, threading.excepthook and sys.stderr, and refuses to be made when
// one is gone or None: every thread the runner starts failed (a rollback's restarted output threads, a
// restore's hashing threads), and the interpreter died with the session's state. And the runner called the
// standard library through its modules' attributes, which user code may rebind: os.write = None or
// select.select = None made the next rollback kill the interpreter, pickle.Pickler = None every checkpoint
// fail. Each patch must stay as the user left it.
const BREAKING: [string, string][] = [
  ["import sys\ndel sys.stderr", "not hasattr(sys, 'stderr')"],
  ["import sys\nsys.excepthook = None", "sys.excepthook is None"],
  ["import threading\nthreading.excepthook = None", "threading.excepthook is None"],
  ["import threading\nthreading.Thread = None", "threading.Thread is None"],
  ["import os\nos.write = None", "os.write is None"],
  ["import select\nselect.select = select.poll = None", "select.select is None"],
  ["import signal\nsignal.signal = None", "signal.signal is None"],
  ["import time\ntime.monotonic = time.time = None", "time.monotonic is None"],
  [
    "import pickle\npickle.Pickler = pickle.Unpickler = pickle.PickleBuffer = None",
    "pickle.Pickler is None",
  ],
  ["import struct\nstruct.Struct = struct.pack = None", "struct.Struct is None"],
  ["import mmap\nmmap.mmap = None", "mmap.mmap is None"],
  ["import datetime\ndatetime.datetime = None", "datetime.datetime is None"],
  ["import sys\nsys.modules['pickle'] = None", "sys.modules['pickle'] is None"],
];
for (const [breaking, stillThere] of BREAKING) {
  Deno.test(`the runner works on after user code does ${breaking.split("\n")[1]}`, async () => {
    const file = `${await Deno.makeTempDir()}/state.pyrepl3ckpt`;
    try {
      await withSession(async (session) => {
        await run(
          session,
          "import pickle\nkept = [1, 2]\nblob = pickle.PickleBuffer(bytearray(4096))",
        );
        await run(session, breaking);
        const checkpoint = await session.checkpoint();
        await session.checkpoint({ path: file });
        await run(session, "kept.append(3)");
        await session.restore(checkpoint);
        equal(JSON.stringify(await run(session, "kept")), "[1,2]");
        await session.restore(file);
        const failed = await session.execute("kept.append(4); 1 / 0", {
          transaction: "rollback_on_failure",
        });
        equal(failed.transaction?.outcome, "rolled_back");
        await run(session, "kept.append(5)");
        await session.execute("kept.append(6)", { transaction: "explicit" });
        await session.rollback();
        const interrupted = await session.execute("while True: pass", {
          onOutput: () => {},
          signal: AbortSignal.timeout(300),
        });
        equal(interrupted.status, "interrupted");
        const streamed: string[] = [];
        const result = await session.execute("print('still', kept)", {
          onOutput: (_, data) => streamed.push(data),
        });
        equal(result.stdout, "still [1, 2, 5]\n");
        equal(streamed.join(""), "still [1, 2, 5]\n");
        equal(await run(session, stillThere), true);
      });
    } finally {
      await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    }
  });
}

Deno.test("a released pooled handle says to acquire a new session, never to restart() it (which throws)", async () => {
  const pool = new SessionPool({ python: TEST_PYTHON, minIdle: 1, maxSize: 1 });
  await pool.start();
  try {
    const session = await pool.acquire();
    await pool.release(session);
    for (
      const call of [
        () => session.execute("1"),
        () => session.restart(),
        () => session.checkpoint(),
      ]
    ) {
      await rejects(call(), (error: Error) => {
        ok(error instanceof SessionClosedError, `${error}`);
        ok(error.message.includes("acquire a new session"), error.message);
        ok(!error.message.includes("restart()"), error.message);
        return true;
      });
    }
    await rejects(session.inputResponse("e1.1", "late"), SessionClosedError);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("del builtins.__import__ (not just None) breaks neither checkpoint() nor restore(), and stays deleted", async () => {
  const file = `${await Deno.makeTempDir()}/state.pyrepl3ckpt`;
  try {
    await withSession(async (session) => {
      await run(session, "import builtins\nkept = {'a': 1}\ndel builtins.__import__");
      const checkpoint = await session.checkpoint();
      await session.checkpoint({ path: file });
      await session.restore(checkpoint);
      await session.restore(file);
      equal(await run(session, "'__import__' in builtins.__dict__"), false);
      equal(JSON.stringify(await run(session, "kept")), '{"a":1}');
    });
  } finally {
    await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  }
});

/** Pids of running processes (zombies aside) whose environment holds `NAME=value`. */
function processesWithEnv(name: string, value: string): number[] {
  const needle = `\0${name}=${value}\0`;
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const environ = `\0${Deno.readTextFileSync(`/proc/${entry.name}/environ`)}`;
      if (environ.includes(needle)) found.push(Number(entry.name));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/**
 * Runs `deno eval script` with `env`; kills it if it has not exited within `limitMs`. `exited` says which.
 */
async function evalBounded(
  script: string,
  env: Record<string, string>,
  limitMs: number,
): Promise<{ exited: boolean; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    output.then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), limitMs)),
  ]);
  clearTimeout(timer);
  if (!exited) child.kill("SIGKILL");
  const { stdout, stderr } = await output;
  const decoder = new TextDecoder();
  return { exited, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("a warmup that forks and then ends the keeper: start() fails, Deno exits, no process is left", async () => {
  // The fork held the keeper's stdout and stderr: Deno read them forever and never exited, and the fork,
  // nobody's descendant any more, ran on.
  const mark = crypto.randomUUID();
  const warmup = "import os, time\nif os.fork() == 0:\n    time.sleep(1000)\nos._exit(0)";
  const script = `
    import { SessionPool } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
    const pool = new SessionPool({
      python: ${JSON.stringify(TEST_PYTHON)}, warmup: ${
    JSON.stringify(warmup)
  }, startTimeoutMs: 20000,
      env: { PYREPL3_AUDIT_MARK: ${JSON.stringify(mark)} },
    });
    console.log(await pool.start().then(() => "started", (error) => error.name));
    await pool.shutdown();
  `;
  try {
    const run = await evalBounded(script, {}, 60_000);
    ok(run.exited, "Deno did not exit");
    equal(run.stdout.trim(), "PoolError", run.stderr);
    const gone = await waitFor(
      () => processesWithEnv("PYREPL3_AUDIT_MARK", mark).length === 0,
      3000,
    );
    ok(gone, `left running: ${processesWithEnv("PYREPL3_AUDIT_MARK", mark)}`);
  } finally {
    for (const pid of processesWithEnv("PYREPL3_AUDIT_MARK", mark)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
});

Deno.test("restore() of a checkpoint bigger than limits.memoryBytes allows fails with CheckpointError; the session lives", async () => {
  // The worker could not allocate the bytes to receive, and the MemoryError killed the interpreter.
  const checkpoint = await withSession(async (source) => {
    await run(source, "blob = bytes(96 << 20)");
    return await source.checkpoint();
  });
  const used = await withSession(async (probe) => {
    const status = await Deno.readTextFile(`/proc/${probe.pid}/status`);
    return Number(/VmSize:\s+(\d+) kB/.exec(status)![1]) * 1024;
  });
  await withSession(async (session) => {
    await run(session, "kept = 'mine'");
    await rejects(session.restore(checkpoint), (error: Error) => {
      ok(error instanceof CheckpointError, `${error}`);
      ok(error.message.includes("memory"), error.message);
      return true;
    });
    equal(await run(session, "kept"), "mine");
    equal(await run(session, "'blob' in globals()"), false);
  }, { limits: { memoryBytes: used + (48 << 20) } });
});

Deno.test("a transaction whose savepoint cannot be taken (every fd of limits.openFiles used) fails; the session lives", async () => {
  // The savepoint's socketpair failed with EMFILE inside the worker's loop, which killed the interpreter.
  await withSession(async (session) => {
    await run(
      session,
      "kept = 1\nheld = []\ntry:\n    while True: held.append(open('/dev/null'))\nexcept OSError: pass",
    );
    for (const transaction of ["rollback_on_failure", "rollback_always", "explicit"] as const) {
      const result = await session.execute("kept = 2", { transaction });
      equal(result.status, "error");
      equal(result.error?.type, "OSError");
      ok(result.error?.message.includes("savepoint"), result.error?.message);
      equal(await run(session, "kept"), 1); // the code did not run
    }
    await rejects(session.rollback(), /needs an open transaction/);
    equal(await run(session, "for f in held: f.close()\nkept"), 1);
    const failed = await session.execute("kept = 3; 1 / 0", { transaction: "rollback_on_failure" });
    equal(failed.transaction?.outcome, "rolled_back");
    equal(await run(session, "kept"), 1);
  }, { limits: { openFiles: 64 } });
});

Deno.test("--timeout of 2^31 ms or more is a usage error (exit 2), like timeout: in a file", async () => {
  // It reached every step, each then failing with InvalidOptionError: exit 1, as if the scenarios failed.
  const dir = await tempScenarios({
    "ok.yaml": "steps:\n  - exec: '1 + 1'\n    expect: { value: 2 }\n",
  });
  try {
    const run = await runCli(["--timeout", "40000m", `${dir}/ok.yaml`]);
    equal(run.code, 2, run.stderr);
    ok(run.stderr.includes("--timeout") && run.stderr.includes("too long"), run.stderr);
    equal((await runCli(["--timeout", "30000m", `${dir}/ok.yaml`])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Deno killed while a worker writes a checkpoint file (a signal no handler catches, or SIGKILL): the
// temporary file stayed beside the target forever. The keeper now removes it once Deno is gone.
for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
  Deno.test(`Deno killed by ${signal} mid checkpoint write leaves no temporary file`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "pyrepl3_audit_tmp_" });
    const gate = `${dir}/gate`;
    ok(new Deno.Command("mkfifo", { args: [gate] }).outputSync().success, "mkfifo failed");
    await Deno.mkdir(`${dir}/out`);
    // The worker's fsync of the written temporary file waits on the FIFO (in the runner's own os).
    const hold =
      "import importlib\n_os = importlib.import_module('_pyrepl3_runner.checkpoint_file').os\n" +
      `_fsync = _os.fsync\ndef _gated(fd):\n    open(${
        JSON.stringify(gate)
      }).read()\n    _fsync(fd)\n` +
      "_os.fsync = _gated\nbig = bytearray(8 << 20)";
    const script = `
      import { Session } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
      const session = new Session({ python: ${JSON.stringify(TEST_PYTHON)} });
      await session.start();
      await session.execute(${JSON.stringify(hold)});
      await session.checkpoint({ path: ${JSON.stringify(`${dir}/out/big.pyrepl3ckpt`)} });
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const temps = () => [...Deno.readDirSync(`${dir}/out`)].map((entry) => entry.name);
    try {
      ok(await waitFor(() => temps().length === 1, 30_000), "the temporary file never appeared");
      ok(temps()[0].endsWith(".tmp"), `${temps()}`);
      child.kill(signal);
      await child.status;
      ok(await waitFor(() => temps().length === 0, 3000), `left: ${temps()}`);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited
      }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("the sweep of a dead run's socket folder removes the checkpoint files it left half-written", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyrepl3_audit_sweep_" });
  try {
    const half = `${root}/.model.pyrepl3ckpt.0123abcd.tmp`;
    await Deno.writeTextFile(half, "half a checkpoint");
    await Deno.writeTextFile(`${root}/kept.txt`, "not named by a note");
    for (
      const [name, owner] of [["pyrepl3-dead", "999999999"], ["pyrepl3-live", String(Deno.pid)]]
    ) {
      await Deno.mkdir(`${root}/${name}`);
      await Deno.writeTextFile(`${root}/${name}/owner`, owner);
    }
    await Deno.writeTextFile(`${root}/pyrepl3-dead/tmp-1`, half);
    await Deno.writeTextFile(`${root}/pyrepl3-live/tmp-1`, `${root}/kept.txt`);
    equal(await sweepStaleSocketDirs(root), 1);
    const left = [...Deno.readDirSync(root)].map((entry) => entry.name).sort();
    equal(JSON.stringify(left), JSON.stringify(["kept.txt", "pyrepl3-live"]));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a key file that is a FIFO, a device or huge is refused at once: never a wait or an endless read", async () => {
  // PYREPL3_CHECKPOINT_KEY_FILE=/dev/zero read forever (memory without end), a FIFO waited for a writer.
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_audit_key_" });
  try {
    ok(new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).outputSync().success, "mkfifo failed");
    await Deno.writeFile(`${dir}/huge`, new Uint8Array(1 << 20));
    const script = `
      import { resolveCheckpointKey } from ${
      JSON.stringify(new URL("../lib/checkpoint_key.ts", import.meta.url).href)
    };
      try { await resolveCheckpointKey(); console.log("resolved"); }
      catch (error) { console.log(error.name, error.message); }
    `;
    for (const file of [`${dir}/fifo`, "/dev/zero", `${dir}/huge`, dir]) {
      const run = await evalBounded(
        script,
        { PYREPL3_CHECKPOINT_KEY_FILE: file, PYREPL3_CHECKPOINT_KEY: "" },
        30_000,
      );
      ok(run.exited, `${file}: the key was still being read after 30 s`);
      ok(
        run.stdout.startsWith("CheckpointError") && run.stdout.includes("not a key file"),
        `${file}: ${run.stdout}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a value whose pickling raises SystemExit or GeneratorExit is skipped like any other, the rest saved", async () => {
  // Only Exception subclasses were skipped: one such value failed the whole checkpoint.
  const file = `${await Deno.makeTempDir()}/state.pyrepl3ckpt`;
  try {
    await withSession(async (session) => {
      await run(
        session,
        "class Quits:\n    def __reduce__(self): raise SystemExit(3)\n" +
          "class Closes:\n    def __reduce__(self): raise GeneratorExit('no')\n" +
          "quits = Quits()\ncloses = Closes()\nkept = [1, 2]",
      );
      for (
        const checkpoint of [await session.checkpoint(), await session.checkpoint({ path: file })]
      ) {
        const skipped = Object.fromEntries(checkpoint.skipped.map((s) => [s.name, s.reason]));
        equal(skipped.quits, "SystemExit: 3");
        equal(skipped.closes, "GeneratorExit: no");
        ok(
          checkpoint.names.includes("kept") && checkpoint.names.includes("Quits"),
          `${checkpoint.names}`,
        );
      }
      await withSession(async (fresh) => {
        await fresh.restore(file);
        equal(JSON.stringify(await run(fresh, "[kept, 'quits' in globals()]")), "[[1,2],false]");
      });
    });
  } finally {
    await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  }
});
