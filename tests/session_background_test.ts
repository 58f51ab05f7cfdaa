/**
 * Output written while no execution runs is never lost, and one asyncio event loop lives for the
 * session, as in IPython.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ExecutionEvent } from "../mod.ts";
import { pathExists, waitFor, withSession } from "./_helpers/session.ts";

/** A thread that prints three lines once `go` exists, then creates `done`. */
function latePrinter(dir: string): string {
  return `
import os, sys, threading, time
def late():
    while not os.path.exists(${JSON.stringify(`${dir}/go`)}):
        time.sleep(0.005)
    for i in range(3):
        print("late", i)
    sys.stdout.flush()
    time.sleep(0.05)  # past the output flusher's batching delay
    open(${JSON.stringify(`${dir}/done`)}, "w").close()
threading.Thread(target=late, daemon=True).start()
`;
}

Deno.test("output written between executions arrives first with the next one, marked background", async () => {
  const dir = await Deno.makeTempDir();
  await withSession(async (session) => {
    await session.execute(latePrinter(dir));
    await Deno.writeTextFile(`${dir}/go`, "");
    ok(await waitFor(() => pathExists(`${dir}/done`)), "the thread printed");
    const events: ExecutionEvent[] = [];
    for await (const event of session.execute("print('now')")) events.push(event);
    const outputs = events.flatMap((e) => e.type === "output" ? [e] : []);
    deepStrictEqual(outputs.map((e) => [e.data, e.background ?? false]), [
      ["late 0\nlate 1\nlate 2\n", true],
      ["now\n", false],
    ]);
    const result = events.at(-1);
    ok(result?.type === "result");
    equal(result.result.stdout, "late 0\nlate 1\nlate 2\nnow\n");
  });
});

Deno.test("onBackgroundOutput receives output written while no execution runs", async () => {
  const dir = await Deno.makeTempDir();
  const seen: string[] = [];
  await withSession(async (session) => {
    await session.execute(latePrinter(dir));
    await Deno.writeTextFile(`${dir}/go`, "");
    ok(await waitFor(() => seen.join("") === "late 0\nlate 1\nlate 2\n"), JSON.stringify(seen));
    equal((await session.execute("print('next')")).stdout, "next\n");
  }, { onBackgroundOutput: (_stream, data) => seen.push(data) });
});

Deno.test("one event loop for the session: a task created in one cell runs on in later cells", async () => {
  await withSession(async (session) => {
    await session.execute(`
import asyncio
ticks = []
async def ticker():
    while True:
        ticks.append(len(ticks))
        await asyncio.sleep(0.01)
task = asyncio.create_task(ticker())
await asyncio.sleep(0.05)
`);
    const first = (await session.execute("len(ticks)")).value as number;
    ok(first > 0);
    await session.execute("await asyncio.sleep(0.05)");
    const later = (await session.execute("len(ticks)")).value as number;
    ok(later > first, `${later} > ${first}: the task ran on during the later cell`);
    equal((await session.execute("task.done()")).value, false);
    equal((await session.execute("asyncio.get_event_loop() is task.get_loop()")).value, true);
  });
});
