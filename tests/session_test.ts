/**
 * Execution semantics of a Session against a real Python worker: persistence, values, errors, counters.
 * The steps share one session (starting a worker is the slow part); each step names its behaviour and does
 * not depend on what another step left behind.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { withSession } from "./_helpers/session.ts";

const VALUE_CASES: [code: string, value: unknown, repr: string | undefined][] = [
  ["None", undefined, undefined],
  ["True", true, "True"],
  ["2**70", 2n ** 70n, "1180591620717411303424"],
  ["2**53", 2n ** 53n, "9007199254740992"], // beyond Number.MAX_SAFE_INTEGER
  ["2**53 - 1", 2 ** 53 - 1, "9007199254740991"],
  ["-2**70", -(2n ** 70n), "-1180591620717411303424"],
  ["-3", -3, "-3"],
  ["1.5", 1.5, "1.5"],
  ["'s'", "s", "'s'"],
  ["b'a'", new Uint8Array([97]), "b'a'"],
  ["[1, (2, 3)]", [1, [2, 3]], "[1, (2, 3)]"],
  ["(1,)", [1], "(1,)"],
  ["[None]", [null], "[None]"],
  ["{'a': 1}", { a: 1 }, "{'a': 1}"],
  ["{1: 'a'}", new Map([[1, "a"]]), "{1: 'a'}"],
];

Deno.test("execution semantics", async (t) => {
  await withSession(async (session) => {
    await t.step("names, functions, classes and imports persist between executions", async () => {
      await session.execute("x = 41");
      await session.execute("def inc(n):\n    return n + 1");
      await session.execute("class Box:\n    def __init__(self, v):\n        self.v = v");
      await session.execute("import math");
      const result = await session.execute("Box(inc(x)).v + math.floor(0.5)");
      equal(result.status, "ok", result.error?.traceback);
      equal(result.value, 42);
    });

    await t.step("code runs with __name__ == '__main__'", async () => {
      equal((await session.execute("__name__")).value, "__main__");
    });

    await t.step("a class defined in the session pickles and unpickles", async () => {
      await session.execute("class C:\n    def __init__(self):\n        self.n = 7");
      const result = await session.execute("import pickle\npickle.loads(pickle.dumps(C())).n");
      equal(result.status, "ok", result.error?.traceback);
      equal(result.value, 7);
    });

    for (const [code, value, repr] of VALUE_CASES) {
      await t.step(`the trailing expression ${code} gives value and repr`, async () => {
        const result = await session.execute(code);
        equal(result.status, "ok");
        deepStrictEqual(result.value, value);
        equal(result.repr, repr);
      });
    }

    await t.step("object() has a repr but no value", async () => {
      const result = await session.execute("object()");
      equal(result.value, undefined);
      match(result.repr ?? "", /^<object object at 0x[0-9a-f]+>$/);
    });

    await t.step("a statement has neither value nor repr", async () => {
      const result = await session.execute("y = 3");
      equal(result.value, undefined);
      equal(result.repr, undefined);
    });

    await t.step("_ holds the last trailing value", async () => {
      await session.execute("6 * 7");
      await session.execute("z = 1"); // no value: _ is unchanged
      equal((await session.execute("_")).value, 42);
    });

    await t.step("an exception is status error with a traceback of user lines only", async () => {
      const result = await session.execute("def f():\n    return 1 / 0\nf()");
      equal(result.status, "error");
      equal(result.error?.type, "ZeroDivisionError");
      equal(result.error?.message, "division by zero");
      const traceback = result.error?.traceback ?? "";
      ok(traceback.includes(`<cell ${result.executionCount}>`), traceback);
      ok(traceback.includes("return 1 / 0"), traceback);
      ok(!traceback.includes("runner/"), traceback);
    });

    await t.step("a SyntaxError reports its line and column", async () => {
      const result = await session.execute("a = 1\nb = 2 +* 3\n");
      equal(result.status, "error");
      equal(result.error?.type, "SyntaxError");
      equal(result.error?.line, 2);
      equal(result.error?.column, 8); // the "*"
      ok(!(result.error?.traceback ?? "").includes("runner/"));
    });

    await t.step("sys.exit() is an error of type SystemExit and the session lives on", async () => {
      await session.execute("kept = 'yes'");
      const result = await session.execute("import sys\nsys.exit(3)");
      equal(result.status, "error");
      equal(result.error?.type, "SystemExit");
      equal(session.state, "ready");
      equal((await session.execute("kept")).value, "yes");
    });

    await t.step(
      "executionCount increments with every execution, failed ones included",
      async () => {
        const counts: number[] = [];
        for (const code of ["1", "1/0", "x = (", "2"]) {
          counts.push((await session.execute(code)).executionCount);
        }
        deepStrictEqual(counts.map((count) => count - counts[0]), [0, 1, 2, 3]);
      },
    );

    await t.step("durationMs is a non-negative number", async () => {
      const result = await session.execute("sum(range(1000))");
      equal(typeof result.durationMs, "number");
      ok(Number.isFinite(result.durationMs) && result.durationMs >= 0);
    });

    await t.step("the stdout and stderr of an execution are in the result", async () => {
      const result = await session.execute(
        "import sys\nprint('out')\nprint('err', file=sys.stderr)",
      );
      equal(result.stdout, "out\n");
      equal(result.stderr, "err\n");
    });

    await t.step("top-level await runs in the session", async () => {
      const result = await session.execute("import asyncio\nawait asyncio.sleep(0)\n'awaited'");
      equal(result.status, "ok", result.error?.traceback);
      equal(result.value, "awaited");
    });
  });
});

Deno.test("executionCount starts at 1 in a fresh session", async () => {
  await withSession(async (session) => {
    equal((await session.execute("pass")).executionCount, 1);
    equal((await session.execute("pass")).executionCount, 2);
  });
});
