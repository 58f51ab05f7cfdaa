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
