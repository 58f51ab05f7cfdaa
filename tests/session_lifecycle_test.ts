/**
 * A Session's lifecycle against real Python workers: interrupts, timeouts, crashes, ordering, parallel
 * sessions, closing, option errors, and that no Python process outlives its session.
 */
import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import {
  InvalidOptionError,
  Session,
  SessionClosedError,
  SessionDeadError,
  type SessionOptions,
  WorkerStartError,
} from "../mod.ts";
import {
  processExists,
  startSession,
  TEST_PYTHON,
  waitFor,
  withSession,
} from "./_helpers/session.ts";

/** Code that prints `ready` (the test's cue that it runs), then blocks in `body`. */
function afterReady(body: string): string {
  return `import time\nprint('ready', flush=True)\n${body}`;
}

/** The parent pid of `pid`, from /proc. */
function parentOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** The direct children of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

Deno.test("interrupt", async (t) => {
  await withSession(async (session) => {
    await session.execute("kept = 'state'");

    await t.step(
      "interrupt() during time.sleep gives interrupted and keeps the state",
      async () => {
        const result = await session.execute(afterReady("time.sleep(30)"), {
          onOutput: () => session.interrupt(),
        });
        equal(result.status, "interrupted");
        equal(result.error?.type, "KeyboardInterrupt");
        equal(session.state, "ready");
        equal((await session.execute("kept")).value, "state");
      },
    );

    await t.step(
      "interrupt() during a busy loop gives interrupted and keeps the state",
      async () => {
        const result = await session.execute(afterReady("while True:\n    pass"), {
          onOutput: () => session.interrupt(),
        });
        equal(result.status, "interrupted");
        equal((await session.execute("kept")).value, "state");
      },
    );

    await t.step("interrupt() when idle does nothing", async () => {
      await session.interrupt();
      equal((await session.execute("kept")).value, "state");
    });

    await t.step("an aborted signal interrupts the execution", async () => {
      const controller = new AbortController();
      const result = await session.execute(afterReady("time.sleep(30)"), {
        signal: controller.signal,
        onOutput: () => controller.abort(),
      });
      equal(result.status, "interrupted");
    });

    await t.step("timeoutMs on code that yields gives timeout with the state kept", async () => {
      const result = await session.execute("import time\ntime.sleep(30)", { timeoutMs: 200 });
      equal(result.status, "timeout");
      equal(result.stateLost, false);
      equal((await session.execute("kept")).value, "state");
    });
  });
});

Deno.test("a timeout on code that ignores SIGINT kills the worker and the session goes on fresh", async () => {
  await withSession(async (session) => {
    await session.execute("kept = 'state'");
    const code =
      "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(30)";
    const result = await session.execute(code, { timeoutMs: 200, graceMs: 100 });
    equal(result.status, "timeout");
    equal(result.stateLost, true);
    const after = await session.execute("'kept' in globals()");
    equal(after.status, "ok");
    equal(after.value, false);
    equal(session.state, "ready");
  });
});

Deno.test("crashes", async (t) => {
  await withSession(async (session) => {
    await t.step("os._exit(3) is crashed with exitCode 3", async () => {
      const result = await session.execute("import os\nos._exit(3)");
      equal(result.status, "crashed");
      equal(result.crash?.exitCode, 3);
      equal(result.stateLost, true);
      equal(session.state, "dead");
    });

    await t.step("execute() on a dead session rejects with SessionDeadError", async () => {
      await rejects(Promise.resolve(session.execute("1")), SessionDeadError);
    });

    await t.step("restart() gives a fresh working session", async () => {
      await session.restart();
      equal(session.state, "ready");
      const result = await session.execute("x = 5\nx * 2");
      equal(result.value, 10);
      equal(result.executionCount, 1);
    });

    await t.step("a segfault is crashed with signal SIGSEGV", async () => {
      const result = await session.execute("import ctypes\nctypes.string_at(0)");
      equal(result.status, "crashed");
      equal(result.crash?.signal, "SIGSEGV");
      equal(session.state, "dead");
      await session.restart();
    });

    await t.step("SIGKILL from outside is crashed with signal SIGKILL", async () => {
      await session.execute("doomed = True");
      const result = await session.execute(afterReady("time.sleep(30)"), {
        onOutput: () => Deno.kill(session.pid, "SIGKILL"),
      });
      equal(result.status, "crashed");
      equal(result.crash?.signal, "SIGKILL");
      equal(session.state, "dead");
      await rejects(Promise.resolve(session.execute("doomed")), SessionDeadError);
      await session.restart();
      equal((await session.execute("'doomed' in globals()")).value, false);
    });
  });
});

Deno.test("executions on one session run one at a time in call order", async () => {
  await withSession(async (session) => {
    await session.execute("n = 0");
    const executions = Array.from({ length: 20 }, () => session.execute("n += 1\nn"));
    const results = await Promise.all(executions);
    deepStrictEqual(results.map((r) => r.value), Array.from({ length: 20 }, (_, i) => i + 1));
    const counts = results.map((r) => r.executionCount);
    deepStrictEqual(counts, [...counts].sort((a, b) => a - b));
    equal(new Set(counts).size, 20);
  });
});

Deno.test("three sessions run in parallel, each with its own state", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_parallel_" });
  const sessions = await Promise.all([0, 1, 2].map(() => startSession()));
  try {
    await Promise.all(sessions.map((s, i) => s.execute(`mine = ${i}`)));
    // Each writes its marker, then waits for all three: only sessions that run at the same time finish early.
    const code = (i: number) =>
      `import os, time\nopen(${JSON.stringify(`${dir}/${i}`)}, 'w').close()\n` +
      `deadline = time.monotonic() + 20\n` +
      `while len(os.listdir(${JSON.stringify(dir)})) < 3 and time.monotonic() < deadline:\n` +
      `    time.sleep(0.01)\n` +
      `(len(os.listdir(${JSON.stringify(dir)})), mine)`;
    const results = await Promise.all(sessions.map((s, i) => s.execute(code(i))));
    deepStrictEqual(results.map((r) => r.value), [[3, 0], [3, 1], [3, 2]]);
  } finally {
    await Promise.all(sessions.map((s) => s.shutdown()));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() after shutdown() rejects with SessionClosedError", async () => {
  const session = await startSession();
  await session.shutdown();
  equal(session.state, "closed");
  await rejects(Promise.resolve(session.execute("1")), SessionClosedError);
  await rejects(session.start(), SessionClosedError);
  await session.shutdown(); // a second shutdown is harmless
});

Deno.test("shutdown() during an execution rejects it with SessionClosedError", async () => {
  const session = await startSession();
  const execution = session.execute(afterReady("time.sleep(30)"), {
    onOutput: () => session.shutdown(),
  });
  await rejects(Promise.resolve(execution), SessionClosedError);
  equal(session.state, "closed");
});

Deno.test("restart() during an execution ends it at once and gives a fresh session", async () => {
  await withSession(async (session) => {
    await session.execute("old = 1");
    let restarting: Promise<void> = Promise.resolve();
    // If restart() waited for the running code instead of ending it, the sleep would end and the
    // execution would resolve ok (after 5 s) instead of being rejected.
    const execution = session.execute(afterReady("time.sleep(5)"), {
      onOutput: () => (restarting = session.restart()),
    });
    await rejects(Promise.resolve(execution), SessionClosedError);
    await restarting;
    equal((await session.execute("'old' in globals()")).value, false);
  });
});

Deno.test("execute() before start() rejects with SessionClosedError", async () => {
  const session = new Session({ python: TEST_PYTHON });
  await rejects(Promise.resolve(session.execute("1")), SessionClosedError);
  await session.shutdown();
});

Deno.test("await using shuts the session down at the end of the block", async () => {
  let pid = 0;
  let escaped: Session | null = null;
  {
    await using session = new Session({ python: TEST_PYTHON });
    await session.start();
    equal((await session.execute("1 + 1")).value, 2);
    pid = session.pid;
    escaped = session;
  }
  equal(escaped?.state, "closed");
  ok(await waitFor(() => !processExists(pid)), `interpreter ${pid} still runs`);
});

const BAD_SESSION_OPTIONS: [string, unknown][] = [
  ["an unknown key", { bogus: 1 }],
  ["an empty python", { python: "" }],
  ["a negative maxOutputChars", { maxOutputChars: -1 }],
  ["a non-string env value", { env: { A: 1 } }],
];

for (const [what, options] of BAD_SESSION_OPTIONS) {
  Deno.test(`a Session with ${what} throws InvalidOptionError`, () => {
    throws(() => new Session(options as SessionOptions), InvalidOptionError);
  });
}

const BAD_EXECUTE_OPTIONS: [string, unknown][] = [
  ["an unknown key", { bogus: 1 }],
  ["a bad transaction name", { transaction: "sometimes" }],
  ["a negative timeoutMs", { timeoutMs: -5 }],
  ["a non-array inputs", { inputs: "x" }],
  ["a number among inputs", { inputs: [1] }],
];

Deno.test("execute() with a bad option throws InvalidOptionError", async (t) => {
  await withSession(async (session) => {
    for (const [what, options] of BAD_EXECUTE_OPTIONS) {
      await t.step(what, () => {
        throws(() => session.execute("1", options as Record<string, never>), InvalidOptionError);
      });
    }
    equal((await session.execute("'fine'")).value, "fine");
  });
});

Deno.test("a non-existent python fails start() with WorkerStartError", async () => {
  const session = new Session({ python: "/nonexistent/python3-pyrepl3-test" });
  await rejects(session.start(), WorkerStartError);
  await session.shutdown();
});

Deno.test("no Python process outlives shutdown(), savepoints included", async () => {
  const session = await startSession();
  const interpreter = session.pid;
  const keeper = parentOf(interpreter);
  // An open explicit transaction keeps a forked savepoint alive.
  const opened = await session.execute("x = 1", { transaction: "explicit" });
  equal(opened.transaction?.outcome, "pending");
  const active = session.pid;
  const pids = new Set([interpreter, keeper, active, ...childrenOf(active), ...childrenOf(keeper)]);
  ok(pids.size >= 3, `expected a keeper, an interpreter and a savepoint: ${[...pids]}`);
  await session.shutdown();
  for (const pid of pids) {
    ok(await waitFor(() => !processExists(pid)), `process ${pid} outlived the session`);
  }
});

Deno.test("a Deno process killed with SIGKILL leaves no Python process behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_orphan_" });
  const script = `${dir}/hold_session.ts`;
  const mod = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { Session } from ${JSON.stringify(mod)};\n` +
      `const session = new Session({ python: ${JSON.stringify(TEST_PYTHON)} });\n` +
      `await session.start();\n` +
      `await session.execute("import time");\n` +
      `console.log(session.pid);\n` +
      `setInterval(() => {}, 1000);\n`,
  );
  const config = new URL("../deno.json", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", config, script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const interpreter = Number(text.trim());
    ok(interpreter > 0, `the script printed no pid: ${JSON.stringify(text)}`);
    const keeper = parentOf(interpreter);
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    await child.stderr.cancel();
    ok(
      await waitFor(() => !processExists(interpreter), 10_000),
      `interpreter ${interpreter} outlived Deno`,
    );
    ok(await waitFor(() => !processExists(keeper), 10_000), `keeper ${keeper} outlived Deno`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hash seed: 0 by default, so set order is the same in every fresh process", async () => {
  const orders = new Set<string>();
  for (let i = 0; i < 3; i++) {
    await withSession(async (session) => {
      equal(session.hashSeed, 0);
      const result = await session.execute(
        "import os\n(os.environ['PYTHONHASHSEED'], repr({'apple', 'banana', 'cherry', 'date', 'elder'}))",
      );
      orders.add(JSON.stringify(result.value));
    });
  }
  equal(orders.size, 1);
  ok([...orders][0].startsWith('["0",'));
});

Deno.test("hash seed: a number or random (resolved, and reported), and a bad one refused", async () => {
  await withSession(async (session) => {
    equal((await session.execute("import os\nos.environ['PYTHONHASHSEED']")).value, "42");
  }, { hashSeed: 42 });
  await withSession(async (session) => {
    ok(Number.isInteger(session.hashSeed));
    equal(
      (await session.execute("import os\nint(os.environ['PYTHONHASHSEED'])")).value,
      session.hashSeed,
    );
  }, { hashSeed: "random" });
  for (const hashSeed of [-1, 2 ** 32, 1.5, "x"]) {
    throws(() => new Session({ hashSeed: hashSeed as never }), InvalidOptionError);
  }
});
