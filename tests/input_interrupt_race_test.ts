/**
 * A timeout that lands while input() waits for its reply, at any moment of the worker's read of a
 * frame, never costs the protocol stream its place: before the fix the worker lost a frame header
 * to the KeyboardInterrupt and died within a few tries ("frame of 2191619241 bytes is too large").
 */
import { equal } from "node:assert/strict";
import { withSession } from "./_helpers/session.ts";

Deno.test("200 timeouts during input() at varied moments: each is timeout, the session lives on", async () => {
  await withSession(async (session) => {
    for (let i = 0; i < 200; i++) {
      let status = "";
      for await (const event of session.execute("input('wait? ')", { timeoutMs: 1 + (i % 25) })) {
        if (event.type === "result") status = event.result.status;
      }
      equal(status, "timeout", `try ${i}`);
      equal((await session.execute("'alive'")).value, "alive", `try ${i}`);
    }
  });
});
