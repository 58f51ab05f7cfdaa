/**
 * A trailing value whose repr is over `maxOutputChars` comes back cut, with a marker and the count
 * of characters left out, and without a JS value (which would be as big): a 300 MB string used to
 * cost Deno over a gigabyte and many seconds.
 */
import { equal, match, ok } from "node:assert/strict";
import { withSession } from "./_helpers/session.ts";

Deno.test("a trailing value's repr over maxOutputChars is cut, marked, counted, and has no value", async () => {
  await withSession(async (session) => {
    const big = await session.execute("'x' * 5000");
    equal(big.status, "ok");
    equal(big.reprOmitted, 5002 - 1000, "the repr has 5002 characters (its quotes), 1000 kept");
    ok(big.repr!.startsWith("'" + "x".repeat(999)));
    match(big.repr!, /\[pyrepl3: output truncated, 4002 more characters were not kept\]\n$/);
    equal(big.value, undefined, "no JS value for a value whose repr was cut");
    equal(big.data?.["text/plain"], big.repr, "the bundle's text/plain is the cut repr");

    const fits = await session.execute("'y' * 998");
    equal(fits.repr, "'" + "y".repeat(998) + "'", "a repr of exactly 1000 characters is whole");
    equal(fits.reprOmitted, undefined);
    equal(fits.value, "y".repeat(998));

    const after = await session.execute("len(_) if False else 1 + 1");
    equal(after.value, 2, "the session goes on");
  }, { maxOutputChars: 1000 });
});

Deno.test("the default cap (16 Mi characters) cuts the repr of a 20 MB string", async () => {
  await withSession(async (session) => {
    const result = await session.execute("'z' * (20 * 1024 * 1024)");
    equal(result.status, "ok");
    equal(result.reprOmitted, 20 * 1024 * 1024 + 2 - 16 * 1024 * 1024);
    equal(result.value, undefined);
    equal(result.repr!.length < 16 * 1024 * 1024 + 100, true);
  });
});
