/**
 * One interpreter's life seen through a session, under attack: requests made after its connection
 * dropped settle once with typed errors; a lost savepoint makes rollback fail loudly; a user's fork never
 * answers the socket; an interrupt sent before the cell starts holds; limits end a cell, not the session.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  CheckpointError,
  InvalidOptionError,
  Session,
  SessionDeadError,
  TransactionError,
  UnknownInputError,
} from "../mod.ts";
import {
  pathExists,
  processExists,
  TEST_PYTHON,
  waitFor,
  withSession,
} from "./_helpers/session.ts";

/** A cell that cuts its own protocol socket, then keeps running. */
const CUT_SOCKET = `
import gc, socket, time
for o in gc.get_objects():
    if isinstance(o, socket.socket) and o.family == socket.AF_UNIX and o.fileno() >= 0:
        o.shutdown(socket.SHUT_RDWR)
time.sleep(3)
`;

Deno.test("requests made after the connection dropped reject once, with typed errors", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => {
    unhandled.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    await withSession(async (session) => {
      const checkpoint = await session.checkpoint();
      const running = session.execute(CUT_SOCKET);
      // Queued behind the cell: they run in the window after the drop, before the exit is known.
      const calls = [
        session.commit(),
        session.rollback(),
        session.checkpoint(),
        session.restore(checkpoint),
        Promise.resolve(session.execute("1")),
      ];
      const result = await running;
      equal(result.status, "crashed");
      equal(result.stateLost, true);
      for (const call of calls) await rejects(call, SessionDeadError);
      await rejects(session.inputResponse("e1.1", "x"), UnknownInputError);
      await rejects(Promise.resolve(session.execute("2")), SessionDeadError);
      equal(session.state, "dead");
      await session.restart();
      equal((await session.execute("40 + 2")).value, 42);
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    deepStrictEqual(unhandled, []);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
});

/** The savepoint is the interpreter's child; the cell kills it. */
const KILL_SAVEPOINT = `
import os, signal
children = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()
for child in children:
    os.kill(int(child), signal.SIGKILL)
    os.waitpid(int(child), 0)  # gone for sure before the rollback looks
len(children)
`;

Deno.test("rollback() of a transaction whose savepoint was killed throws TransactionError and keeps the state", async () => {
  await withSession(async (session) => {
    await session.execute("x = 1", { transaction: "explicit" });
    equal((await session.execute("x = 2", { transaction: "explicit" })).status, "ok");
    const killed = await session.execute(KILL_SAVEPOINT, { transaction: "explicit" });
    ok((killed.value as number) >= 1, killed.error?.traceback);
    await rejects(session.rollback(), (error: unknown) => {
      match(String(error), /savepoint/);
      return error instanceof TransactionError;
    });
    equal(session.inTransaction, false);
    equal((await session.execute("x")).value, 2, "nothing was rolled back");
  });
});

Deno.test("rollback_on_failure whose savepoint was killed reports rollback_failed, never rolled_back", async () => {
  await withSession(async (session) => {
    await session.execute("x = 1");
    const result = await session.execute(`x = 2\n${KILL_SAVEPOINT}\nraise ValueError("boom")`, {
      transaction: "rollback_on_failure",
    });
    equal(result.status, "error");
    equal(result.transaction?.outcome, "rollback_failed");
    equal((await session.execute("x")).value, 2);
    const clean = await session.execute("x = 3\nraise ValueError", {
      transaction: "rollback_on_failure",
    });
    equal(clean.transaction?.outcome, "rolled_back");
    equal((await session.execute("x")).value, 2);
  });
});

Deno.test("the child of a user's os.fork() that does not exit never answers the socket", async () => {
  await withSession(async (session) => {
    const forked = await session.execute("import os\nchild = os.fork()\nchild");
    equal(forked.status, "ok");
    const child = forked.value as number;
    ok(child > 0, "the result came from the parent");
    for (let i = 0; i < 20; i++) equal((await session.execute(`${i} * 3`)).value, i * 3);
    ok(await waitFor(() => !processExists(child)), "the child ended after its cell");
  });
});

Deno.test("interrupt() right after execute(), before the cell starts, interrupts that cell", async () => {
  await withSession(async (session) => {
    for (let i = 0; i < 5; i++) {
      const running = session.execute("import time\nfor _ in range(300): time.sleep(0.1)");
      await session.interrupt();
      const result = await running;
      equal(result.status, "interrupted");
      equal(result.error?.type, "KeyboardInterrupt");
    }
    equal((await session.execute("'still alive'")).value, "still alive");
  });
});

Deno.test("an interrupt meant for a finished cell does not reach the next one", async () => {
  await withSession(async (session) => {
    await session.execute("1");
    await session.interrupt(); // idle: nothing to interrupt
    equal((await session.execute("import time\ntime.sleep(0.2)\n'done'")).value, "done");
  });
});

Deno.test("timeouts a timer cannot wait for are refused, not turned into 1 ms", async () => {
  await withSession(async (session) => {
    let thrown: unknown;
    try {
      session.execute("1", { timeoutMs: 2 ** 31 });
    } catch (error) {
      thrown = error;
    }
    ok(thrown instanceof InvalidOptionError);
    match(String(thrown), /at most 2147483647/);
    equal((await session.execute("1", { timeoutMs: 2 ** 31 - 1 })).status, "ok");
  });
  let thrown: unknown;
  try {
    new Session({ python: TEST_PYTHON, startTimeoutMs: 1e12 });
  } catch (error) {
    thrown = error;
  }
  ok(thrown instanceof InvalidOptionError);
});

Deno.test("limits: a cell over its memory or CPU limit fails clearly and the session lives on", async () => {
  await withSession(async (session) => {
    const memory = await session.execute("block = bytearray(1024 * 1024 * 1024)");
    equal(memory.status, "error");
    equal(memory.error?.type, "MemoryError");
    const cpu = await session.execute("while True: pass");
    equal(cpu.status, "error");
    equal(cpu.error?.type, "CpuTimeLimitExceeded");
    equal((await session.execute("sum(range(10))")).value, 45);
  }, { limits: { memoryBytes: 512 * 1024 * 1024, cpuSeconds: 1 } });
});

Deno.test("limits: bad values are InvalidOptionError", () => {
  for (const limits of [{ memoryBytes: -1 }, { cpuSeconds: 1.5 }, { files: 3 }]) {
    let thrown: unknown;
    try {
      new Session({ python: TEST_PYTHON, limits: limits as never });
    } catch (error) {
      thrown = error;
    }
    ok(thrown instanceof InvalidOptionError, JSON.stringify(limits));
  }
});

/** A value whose pickling takes long (it touches `started` first); `ignore`: it shrugs off SIGINT. */
function slowPickle(ignore: boolean, started = "/dev/null"): string {
  return `
import signal, time
class Slow:
    def __reduce__(self):
        open(${JSON.stringify(started)}, "w").close()
        ${ignore ? "signal.signal(signal.SIGINT, signal.SIG_IGN)" : "pass"}
        end = time.time() + 30
        while time.time() < end:
            pass
        return (int, ())
slow = Slow()
kept = 41
`;
}

Deno.test("interrupt() stops a checkpoint whose pickling hangs: CheckpointError, state kept", async () => {
  await withSession(async (session) => {
    const started = `${await Deno.makeTempDir()}/started`;
    await session.execute(slowPickle(false, started));
    const pending = session.checkpoint().then(() => null, (error: unknown) => error);
    ok(await waitFor(() => pathExists(started)), "pickling started");
    await session.interrupt();
    const error = await pending;
    ok(error instanceof CheckpointError, String(error));
    match(String(error), /interrupted/);
    equal((await session.execute("kept + 1")).value, 42);
  });
});

Deno.test("checkpoint timeoutMs interrupts; code that ignores it gets the interpreter replaced", async () => {
  await withSession(async (session) => {
    await session.execute(slowPickle(false));
    await rejects(session.checkpoint({ timeoutMs: 300 }), /interrupted/);
    equal((await session.execute("kept")).value, 41);
    await session.execute(slowPickle(true));
    const restarts = session.restarts;
    await rejects(session.checkpoint({ timeoutMs: 300, graceMs: 300 }), (error: unknown) => {
      match(String(error), /replaced/);
      return error instanceof CheckpointError;
    });
    equal(session.restarts, restarts + 1);
    equal(session.state, "ready");
    equal((await session.execute("'kept' in globals()")).value, false);
  });
});
