/**
 * A caller's listener that throws (onOutput, onBackgroundOutput, onBackgroundDisplay) is the
 * caller's bug, reported on the console: it used to reach the worker's read loop and end the
 * session (status crashed, then SessionDeadError).
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { pathExists, waitFor, withSession } from "./_helpers/session.ts";

/** Runs `fn` with console.error captured; returns what was written. */
async function capturingConsoleErrors(fn: () => Promise<void>): Promise<string[]> {
  const original = console.error;
  const written: string[] = [];
  console.error = (...args: unknown[]) => written.push(args.map(String).join(" "));
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return written;
}

Deno.test("an onOutput listener that throws leaves the execution and the session as they were", async () => {
  const errors = await capturingConsoleErrors(() =>
    withSession(async (session) => {
      const result = await session.execute("print('x')\n1 + 1", {
        onOutput: () => {
          throw new Error("listener bug");
        },
      });
      equal(result.status, "ok");
      equal(result.stdout, "x\n");
      equal(result.value, 2);
      equal(session.state, "ready");
    })
  );
  ok(
    errors.some((e) => e.includes("onOutput listener threw") && e.includes("listener bug")),
    errors.join("\n"),
  );
});

Deno.test("background listeners that throw leave the session alive", async () => {
  const dir = await Deno.makeTempDir();
  const errors = await capturingConsoleErrors(() =>
    withSession(async (session) => {
      await session.execute(
        "import os, threading, time\ndef late():\n" +
          `    while not os.path.exists(${JSON.stringify(`${dir}/go`)}): time.sleep(0.005)\n` +
          "    print('bg', flush=True); display('d')\n" +
          `    time.sleep(0.05); open(${JSON.stringify(`${dir}/done`)}, 'w').close()\n` +
          "threading.Thread(target=late, daemon=True).start()",
      );
      await Deno.writeTextFile(`${dir}/go`, "");
      ok(await waitFor(() => pathExists(`${dir}/done`)));
      const next = await session.execute("1 + 1");
      deepStrictEqual([next.status, next.value, session.state], ["ok", 2, "ready"]);
    }, {
      onBackgroundOutput: () => {
        throw new Error("output listener bug");
      },
      onBackgroundDisplay: () => {
        throw new Error("display listener bug");
      },
    })
  );
  ok(errors.some((e) => e.includes("onBackgroundOutput listener threw")), errors.join("\n"));
  ok(errors.some((e) => e.includes("onBackgroundDisplay listener threw")), errors.join("\n"));
});
