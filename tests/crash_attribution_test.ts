/**
 * A crash report shows what the crashed interpreter itself wrote as it died: interpreters forked
 * from one keeper (a pool's sessions) never show each other's fatal-error reports.
 */
import { equal, match, ok } from "node:assert/strict";
import { SessionPool } from "../mod.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

Deno.test("a pooled session's crash report holds its own faulthandler traceback, not a neighbour's", async () => {
  await using pool = new SessionPool({ python: TEST_PYTHON, minIdle: 0, maxSize: 2 });
  const segfaulting = await pool.acquire();
  const exiting = await pool.acquire();
  const segfault = await segfaulting.execute("import ctypes; ctypes.string_at(0)");
  equal(segfault.status, "crashed");
  equal(segfault.crash?.signal, "SIGSEGV");
  match(segfault.crash?.stderrTail ?? "", /<cell 1>/, "its own traceback, from faulthandler");
  const exit = await exiting.execute("import os; os._exit(3)");
  equal(exit.status, "crashed");
  equal(exit.crash?.exitCode, 3);
  ok(!/SIGSEGV|Segmentation|ctypes/.test(exit.crash?.stderrTail ?? ""), exit.crash?.stderrTail);
  await pool.release(segfaulting);
  await pool.release(exiting);
});
