/**
 * Rich outputs shown while no execution runs (a thread calling display() or updating a display
 * handle) are never lost: they reach `onBackgroundDisplay`, or else arrive first with the next
 * execution, marked background, as background output does.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import type { BackgroundDisplayEvent, ExecutionEvent } from "../mod.ts";
import { pathExists, waitFor, withSession } from "./_helpers/session.ts";

/** A thread that, once `go` exists, shows a progress display, updates it, clears, then creates `done`. */
function lateDisplayer(dir: string, count = 1): string {
  return `
import os, threading, time
class Progress:
    def __init__(self, n): self.n = n
    def _repr_html_(self): return f"<progress value={self.n}>"
def late():
    while not os.path.exists(${JSON.stringify(`${dir}/go`)}):
        time.sleep(0.005)
    handle = display(Progress(0), display_id="bar")
    handle.update(Progress(1))
    for i in range(${count}):
        display(i)
    open(${JSON.stringify(`${dir}/done`)}, "w").close()
threading.Thread(target=late, daemon=True).start()
`;
}

Deno.test("displays shown between executions arrive first with the next one, marked background", async () => {
  const dir = await Deno.makeTempDir();
  await withSession(async (session) => {
    await session.execute(lateDisplayer(dir));
    await Deno.writeTextFile(`${dir}/go`, "");
    ok(await waitFor(() => pathExists(`${dir}/done`)), "the thread displayed");
    const events: ExecutionEvent[] = [];
    for await (const event of session.execute("display('now')")) events.push(event);
    const displays = events.flatMap((e) => e.type === "display" ? [e] : []);
    deepStrictEqual(
      displays.map((
        e,
      ) => [e.data["text/html"] ?? e.data["text/plain"], e.id, e.update, e.background]),
      [
        ["<progress value=0>", "bar", undefined, true],
        ["<progress value=1>", "bar", true, true],
        ["0", undefined, undefined, true],
        ["'now'", undefined, undefined, undefined],
      ],
    );
    const last = events.at(-1);
    ok(last?.type === "result");
    deepStrictEqual(
      last.result.displays?.map((d) => [d.data["text/html"] ?? d.data["text/plain"], d.background]),
      [["<progress value=1>", true], ["0", true], ["'now'", undefined]],
      "the update replaced the first display in the result; background ones are marked",
    );
    const again = await session.execute("1");
    deepStrictEqual(again.displays ?? [], [], "delivered once");
  });
});

Deno.test("onBackgroundDisplay receives displays shown while no execution runs", async () => {
  const dir = await Deno.makeTempDir();
  const seen: BackgroundDisplayEvent[] = [];
  await withSession(async (session) => {
    await session.execute(lateDisplayer(dir));
    await Deno.writeTextFile(`${dir}/go`, "");
    ok(await waitFor(() => seen.length === 3), JSON.stringify(seen));
    deepStrictEqual(seen.map((e) => e.type === "display" && [e.id, e.update, e.background]), [
      ["bar", undefined, true],
      ["bar", true, true],
      [undefined, undefined, true],
    ]);
    const next = await session.execute("print('next')");
    deepStrictEqual(next.displays ?? [], [], "nothing held for the next execution");
  }, { onBackgroundDisplay: (event) => seen.push(event) });
});

Deno.test("displays between executions are kept within maxOutputChars; the rest is counted on stderr", async () => {
  const dir = await Deno.makeTempDir();
  await withSession(async (session) => {
    await session.execute(lateDisplayer(dir, 2000));
    await Deno.writeTextFile(`${dir}/go`, "");
    ok(await waitFor(() => pathExists(`${dir}/done`)), "the thread displayed");
    const result = await session.execute("None");
    const kept = result.displays?.length ?? 0;
    ok(kept > 0 && kept < 2002, `${kept} kept`);
    ok(
      /\[pyrepl3: \d+ rich outputs shown while no execution ran were not kept\]/.test(
        result.stderr,
      ),
      result.stderr,
    );
  }, { maxOutputChars: 3000 });
});
