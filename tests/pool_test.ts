import { deepStrictEqual as assertEquals, equal, ok as assert, rejects } from "node:assert/strict";
import {
  AcquireTimeoutError,
  InvalidOptionError,
  PoolError,
  SessionClosedError,
  SessionPool,
} from "../mod.ts";

const python = Deno.env.get("PYREPL3_TEST_PYTHON") ?? "python3";

function processGone(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return false;
  } catch {
    return true;
  }
}

async function waitUntilGone(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const alive = pids.filter((pid) => !processGone(pid));
    if (alive.length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return pids.filter((pid) => !processGone(pid));
}

Deno.test("an acquired session is clean: the previous user's state never leaks", async () => {
  await using pool = new SessionPool({ python, minIdle: 1, maxSize: 1 });
  await pool.start();
  const first = await pool.acquire();
  await first.execute("secret = 42\nimport colorsys\nimport sys; sys.path.append('/nowhere')");
  await pool.release(first);
  const second = await pool.acquire();
  const probe = await second.execute(
    "import sys; ('secret' in globals(), 'colorsys' in sys.modules, '/nowhere' in sys.path)",
  );
  assertEquals(probe.value, [false, false, false]);
  assertEquals(probe.executionCount, 1);
  await pool.release(second);
});

Deno.test("warmup runs once in the template and every session starts with its names", async () => {
  await using pool = new SessionPool({
    python,
    minIdle: 2,
    maxSize: 2,
    warmup: "import json as j\nwarm = [1, 2]",
  });
  await pool.start();
  const value = await pool.withSession(async (s) =>
    (await s.execute("warm.append(3); j.dumps(warm)")).value
  );
  assertEquals(value, "[1, 2, 3]");
  const again = await pool.withSession(async (s) => (await s.execute("j.dumps(warm)")).value);
  assertEquals(again, "[1, 2]");
});

Deno.test("acquire waits in FIFO order when maxSize sessions are busy, then times out", async () => {
  await using pool = new SessionPool({ python, minIdle: 0, maxSize: 1, acquireTimeoutMs: 300 });
  await pool.start();
  const held = await pool.acquire();
  const order: number[] = [];
  const first = pool.acquire().then(async (s) => {
    order.push(1);
    await pool.release(s);
  });
  const second = pool.acquire().then(async (s) => {
    order.push(2);
    await pool.release(s);
  });
  assertEquals(pool.stats().waiting, 2);
  await pool.release(held);
  await Promise.all([first, second]);
  assertEquals(order, [1, 2]);
  const again = await pool.acquire();
  await rejects(() => pool.acquire(), AcquireTimeoutError);
  await pool.release(again);
});

Deno.test("a crashed session is replaced, never handed out again", async () => {
  await using pool = new SessionPool({ python, minIdle: 1, maxSize: 1 });
  await pool.start();
  const session = await pool.acquire();
  const crashed = await session.execute("import os; os._exit(9)");
  assertEquals(crashed.status, "crashed");
  await pool.release(session);
  const next = await pool.acquire();
  assert(next !== session);
  assertEquals((await next.execute("1 + 1")).value, 2);
  await pool.release(next);
  assertEquals(pool.stats().crashed, 1);
});

Deno.test("a session is replaced after maxUses", async () => {
  await using pool = new SessionPool({ python, minIdle: 1, maxSize: 1, maxUses: 2 });
  await pool.start();
  const sessions = new Set<unknown>();
  for (let i = 0; i < 4; i++) {
    await pool.withSession(async (s) => {
      sessions.add(s);
      assertEquals((await s.execute("1")).value, 1);
    });
  }
  assertEquals(pool.stats().recycled, 2);
  assertEquals(sessions.size, 4, "every acquisition gets a handle of its own");
});

Deno.test("a released handle throws SessionClosedError and never reaches the next user's session", async () => {
  await using pool = new SessionPool({ python, minIdle: 1, maxSize: 1 });
  await pool.start();
  const first = await pool.acquire();
  await first.execute("secret = 'first tenant'");
  await pool.release(first);
  const second = await pool.acquire();
  await second.execute("secret = 'second tenant'");
  await rejects(Promise.resolve(first.execute("secret")), SessionClosedError);
  equal(first.state, "closed");
  assertEquals((await second.execute("secret")).value, "second tenant");
  await pool.release(second);
});

Deno.test("withSession releases the session when the callback throws", async () => {
  await using pool = new SessionPool({ python, minIdle: 0, maxSize: 1 });
  await pool.start();
  await rejects(
    () =>
      pool.withSession(() => {
        throw new Error("boom");
      }),
    /boom/,
  );
  assertEquals(pool.stats().busy, 0);
  assertEquals(await pool.withSession(async (s) => (await s.execute("2 * 3")).value), 6);
});

Deno.test("bad pool options and misuse are typed errors", async () => {
  let error: unknown;
  try {
    new SessionPool({ minIdle: 3, maxSize: 2 });
  } catch (e) {
    error = e;
  }
  assert(error instanceof InvalidOptionError);
  await using pool = new SessionPool({ python, minIdle: 0, maxSize: 1 });
  await pool.start();
  const session = await pool.acquire();
  await pool.release(session);
  await rejects(() => pool.release(session), PoolError);
  await pool.shutdown();
  await rejects(() => pool.acquire(), PoolError);
});

Deno.test("stress: 8 consumers, 1000 cycles with crashes, timeouts and throws; no deadlock, no leak", async () => {
  const pool = new SessionPool({ python, minIdle: 2, maxSize: 4, acquireTimeoutMs: 60_000 });
  await pool.start();
  const pids = new Set<number>();
  let cycles = 0;
  let maxSeen = 0;
  const outcomes = { ok: 0, crashed: 0, timeout: 0, thrown: 0 };
  const consumer = async (worker: number) => {
    for (let i = worker; i < 1000; i += 8) {
      try {
        await pool.withSession(async (session) => {
          pids.add(session.pid);
          const stats = pool.stats();
          maxSeen = Math.max(maxSeen, stats.idle + stats.busy + stats.pending);
          if (i % 97 === 0) {
            const r = await session.execute("import os; os._exit(1)");
            outcomes.crashed += r.status === "crashed" ? 1 : 0;
          } else if (i % 89 === 0) {
            const r = await session.execute("import time; time.sleep(5)", { timeoutMs: 20 });
            outcomes.timeout += r.status === "timeout" ? 1 : 0;
          } else if (i % 13 === 0) {
            throw new Error("consumer failed");
          } else {
            const r = await session.execute(`x = ${i}\nx + 1`);
            assertEquals(r.value, i + 1);
            outcomes.ok++;
          }
        });
      } catch (error) {
        if ((error as Error).message !== "consumer failed") throw error;
        outcomes.thrown++;
      }
      cycles++;
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, (_, worker) => consumer(worker)));
  } finally {
    await pool.shutdown();
  }
  assertEquals(cycles, 1000);
  assert(maxSeen <= 4, `the pool held ${maxSeen} sessions, more than maxSize 4`);
  assertEquals(outcomes.crashed, 11);
  assertEquals(outcomes.timeout, 11);
  const stats = pool.stats();
  assertEquals(stats.hits + stats.misses, 1000);
  assertEquals(stats.crashed, 11);
  assert(stats.recycled >= 11, "every timed-out session is replaced");
  assertEquals(stats.busy, 0);
  assertEquals(await waitUntilGone([...pids]), []);
});

Deno.test("fork: false spawns an interpreter per session and still hands out clean, warm sessions", async () => {
  await using pool = new SessionPool({
    python,
    minIdle: 1,
    maxSize: 2,
    fork: false,
    warmup: "w = 7",
  });
  await pool.start();
  const first = await pool.acquire();
  assertEquals((await first.execute("left = 1; w")).value, 7);
  await pool.release(first);
  const second = await pool.acquire();
  assertEquals((await second.execute("('left' in globals(), w)")).value, [false, 7]);
  await pool.release(second);
});
