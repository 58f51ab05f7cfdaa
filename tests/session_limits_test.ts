/**
 * Per-session resource limits (`limits` option) against a real Python worker: a cell that exceeds one fails
 * with a clear error and the session goes on.
 */
import { equal, match, rejects } from "node:assert/strict";
import type { Session } from "../mod.ts";
import { startSession, withSession } from "./_helpers/session.ts";

async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback ?? result.status);
  return result.value;
}

Deno.test("memoryBytes: an allocation beyond it is a MemoryError and the session goes on", async () => {
  await withSession(async (session) => {
    const result = await session.execute("hog = bytearray(2 * 2**30)");
    equal(result.status, "error");
    equal(result.error?.type, "MemoryError");
    equal(await run(session, "len(bytearray(2**20))"), 2 ** 20);
  }, { limits: { memoryBytes: 2 ** 30 } });
});

Deno.test("cpuSeconds: an execution that spends its budget fails clearly", async () => {
  // The budget is per execution (tests/python/test_limits.py shows a later cell gets its own).
  await withSession(async (session) => {
    const result = await session.execute("while True: pass");
    equal(result.status, "error");
    equal(result.error?.type, "CpuTimeLimitExceeded");
    match(result.error?.message ?? "", /cpuSeconds/);
    equal(await run(session, "sum(range(10))"), 45);
  }, { limits: { cpuSeconds: 1 } });
});

Deno.test("openFiles: opening more is an OSError and the session goes on", async () => {
  await withSession(async (session) => {
    const result = await session.execute(
      "import os\nfiles = []\nfor _ in range(100):\n    files.append(open(os.devnull))",
    );
    equal(result.status, "error");
    equal(result.error?.type, "OSError");
    match(result.error?.message ?? "", /Too many open files/);
    equal(await run(session, "for f in files: f.close()\nlen(files) > 0"), true);
  }, { limits: { openFiles: 64 } });
});

Deno.test("limits the worker cannot live with are refused at start", async () => {
  await rejects(startSession({ limits: { openFiles: 3 } }), /too few descriptors/);
});
