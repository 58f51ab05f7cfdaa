/**
 * A pool whose warmup misbehaves, or that is shut down while it starts, ends cleanly: no hang, no
 * process left. Processes are found by a marker in their environment.
 */
import { equal, ok, rejects } from "node:assert/strict";
import { PoolError, Session, SessionClosedError, SessionPool, WorkerStartError } from "../mod.ts";
import { TEST_PYTHON, waitFor } from "./_helpers/session.ts";

/** Pids of live processes whose environment holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const environ = Deno.readTextFileSync(`/proc/${entry.name}/environ`);
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (environ.includes(marker) && state !== "Z") found.push(Number(entry.name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function markedPool(marker: string, options: Record<string, unknown>): SessionPool {
  return new SessionPool({
    python: TEST_PYTHON,
    env: { PYREPL3_TEST_MARKER: marker },
    minIdle: 1,
    maxSize: 2,
    ...options,
  });
}

Deno.test("a warmup that calls os._exit fails start() and leaves no process", async () => {
  const marker = `m-${crypto.randomUUID()}`;
  const pool = markedPool(marker, { warmup: "import os\nos._exit(3)" });
  await rejects(
    pool.start(),
    (error: unknown) => error instanceof WorkerStartError || error instanceof PoolError,
  );
  await pool.shutdown();
  ok(await waitFor(() => processesWith(marker).length === 0), `left: ${processesWith(marker)}`);
});

Deno.test("a warmup that hangs fails start() within startTimeoutMs and leaves no process", async () => {
  const marker = `m-${crypto.randomUUID()}`;
  const pool = markedPool(marker, {
    warmup: "import time\ntime.sleep(600)",
    startTimeoutMs: 1500,
  });
  await rejects(pool.start(), /within 1500 ms/);
  await pool.shutdown();
  ok(await waitFor(() => processesWith(marker).length === 0), `left: ${processesWith(marker)}`);
});

Deno.test("shutdown() while start() is in flight wins: start fails, nothing is left", async () => {
  const marker = `m-${crypto.randomUUID()}`;
  const pool = markedPool(marker, { warmup: "import time\ntime.sleep(0.3)" });
  const starting = pool.start().then(() => null, (error: unknown) => error);
  await pool.shutdown();
  ok(await starting instanceof PoolError);
  await rejects(pool.acquire(), PoolError);
  ok(await waitFor(() => processesWith(marker).length === 0), `left: ${processesWith(marker)}`);
});

Deno.test("a session's shutdown() while its start() is in flight wins", async () => {
  const marker = `m-${crypto.randomUUID()}`;
  const session = new Session({ python: TEST_PYTHON, env: { PYREPL3_TEST_MARKER: marker } });
  const starting = session.start().then(() => null, (error: unknown) => error);
  await session.shutdown();
  ok(await starting instanceof SessionClosedError);
  equal(session.state, "closed");
  ok(await waitFor(() => processesWith(marker).length === 0), `left: ${processesWith(marker)}`);
});

Deno.test("spares that die before they connect are replaced: acquire() does not wait for them", async () => {
  const deaths = await Deno.makeTempDir({ prefix: "spare-deaths-" });
  const pool = new SessionPool({
    python: TEST_PYTHON,
    minIdle: 0,
    maxSize: 1,
    acquireTimeoutMs: 10_000,
    // The next two forks of the template die at once, before they can connect.
    warmup: `import os
def _die_twice(folder=${JSON.stringify(deaths)}):
    if len(os.listdir(folder)) < 2:
        open(os.path.join(folder, str(os.getpid())), "w").close()
        os._exit(1)
os.register_at_fork(after_in_child=_die_twice)`,
  });
  try {
    await pool.start();
    const value = await pool.withSession(async (session) => (await session.execute("6 * 7")).value);
    equal(value, 42);
    equal([...Deno.readDirSync(deaths)].length, 2);
  } finally {
    await pool.shutdown();
    await Deno.remove(deaths, { recursive: true });
  }
});
