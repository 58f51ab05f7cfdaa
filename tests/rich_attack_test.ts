/**
 * Hostile inputs to rich output: formatters that raise anything, odd data, huge bundles, bad
 * snapshot files and options. Each test here failed before its fix.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";

Deno.test("a formatter raising SystemExit/KeyboardInterrupt/BaseException never ends the worker", async () => {
  await withSession(async (session) => {
    for (const raised of ["SystemExit(3)", "KeyboardInterrupt", "GeneratorExit", "Odd('x')"]) {
      const result = await session.execute(`
class Odd(BaseException): pass
class A:
    def _repr_html_(self): raise ${raised}
    def _repr_json_(self): return {"kept": 1}
    def __repr__(self): return "A()"
A()`);
      equal(result.status, "ok", `${raised}: ${result.status} ${result.error?.type}`);
      equal(result.repr, "A()");
      ok(result.stderr.includes("failed: "), result.stderr);
      // An interrupt abandons the value's bundle (it may be a timeout); anything else costs one type.
      if (raised !== "KeyboardInterrupt") {
        deepStrictEqual(result.data?.["application/json"], { kept: 1 }, raised);
      }
    }
    const broken = await session.execute(`
class R:
    def __repr__(self): raise GeneratorExit("nope")
display(R()); print("after")`);
    equal(broken.status, "ok");
    equal(broken.stdout, "after\n");
    equal(broken.displays?.[0].data["text/plain"], "<repr failed: GeneratorExit: nope>");
    equal((await session.execute("1 + 1")).repr, "2");
  }, { python: TEST_PYTHON });
});

Deno.test("binary MIME data that is an int is refused, not allocated (bytes(10**11))", async () => {
  await withSession(async (session) => {
    const result = await session.execute(`
class A:
    def _repr_png_(self): return 10**11
A()`);
    equal(result.status, "ok");
    equal(result.data?.["image/png"], undefined);
    ok(
      result.stderr.includes("image/png data must be bytes or a base64 str, not int"),
      result.stderr,
    );
  });
});

Deno.test("displays and the value's bundle are kept within maxOutputChars, with what was left out", async () => {
  await withSession(async (session) => {
    const result = await session.execute(`
display({"text/html": "h" * 600, "image/png": b"p" * 300}, raw=True)
display({"text/html": "x" * 100, "image/png": b"q" * 600}, raw=True)
display("tiny")
h = display({"text/plain": "small"}, raw=True, display_id="u")
h.update({"text/plain": "z" * 2000}, raw=True)
class Big:
    def _repr_png_(self): return b"b" * 5000
    def __repr__(self): return "Big()"
Big()`);
    equal(result.status, "ok");
    const [first, second, third, updated] = result.displays!;
    equal(first.data["text/html"], "h".repeat(600));
    equal((first.data["image/png"] as Uint8Array).length, 300);
    equal(first.omitted, undefined);
    ok(String(second.data["text/html"]).startsWith("x".repeat(100)), "text fits: kept");
    equal(second.data["image/png"], undefined, "an image over the budget is left out");
    deepStrictEqual(second.omitted, { "image/png": 600 });
    ok(String(third.data["text/plain"]).includes("output truncated, 6 more characters"));
    deepStrictEqual(updated.omitted, { "text/plain": 2000 });
    equal(result.repr, "Big()");
    equal(result.data?.["text/plain"], "Big()");
    equal(result.data?.["image/png"], undefined);
    deepStrictEqual(result.dataOmitted, { "image/png": 5000 });
    // Events are not capped: a caller iterating sees every byte.
    let biggest = 0;
    for await (const event of session.execute(`display({"image/png": b"e" * 5000}, raw=True)`)) {
      if (event.type === "display") biggest = (event.data["image/png"] as Uint8Array).length;
    }
    equal(biggest, 5000);
  }, { maxOutputChars: 1000 });
});
