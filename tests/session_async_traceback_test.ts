/**
 * A cell with a top-level await that fails shows the user's frames only, as any cell does: the
 * event loop that runs it (asyncio's run_until_complete) is the runner's doing.
 */
import { equal, match, ok } from "node:assert/strict";
import { withSession } from "./_helpers/session.ts";

Deno.test("a failing await cell's traceback starts at the cell, without the event loop's frames", async () => {
  await withSession(async (session) => {
    const result = await session.execute(
      "import asyncio\nasync def f():\n    raise ValueError('x')\nawait f()",
    );
    equal(result.status, "error");
    const traceback = result.error?.traceback ?? "";
    match(
      traceback,
      /^Traceback \(most recent call last\):\n {2}File "<cell 1>", line 4, in <module>/,
    );
    ok(!traceback.includes("base_events.py"), traceback);

    // asyncio's frames the user's code called into are still shown.
    const timeout = await session.execute("await asyncio.wait_for(asyncio.sleep(5), 0.01)");
    match(timeout.error?.type ?? "", /TimeoutError/);
    match(timeout.error?.traceback ?? "", /File "<cell 2>", line 1, in <module>[\s\S]*asyncio/);
  });
});
