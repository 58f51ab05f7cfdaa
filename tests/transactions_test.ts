/**
 * Transactions against a real Python worker: each policy, and that a rollback restores the session exactly.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { NoTransactionError, type Session } from "../mod.ts";
import { canImport, withSession } from "./_helpers/session.ts";

/** Runs `code` and fails the test with the traceback unless it is ok; returns the value. */
async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback);
  return result.value;
}

Deno.test("policies", async (t) => {
  await withSession(async (session) => {
    await t.step(
      "commit_always (the default) keeps the changes of a failed execution",
      async () => {
        const result = await session.execute("half = 1\nraise ValueError('midway')");
        equal(result.status, "error");
        equal(result.transaction, undefined);
        equal(await run(session, "half"), 1);
      },
    );

    await t.step("rollback_on_failure takes back a failed execution", async () => {
      const result = await session.execute("gone = 1\nraise ValueError('midway')", {
        transaction: "rollback_on_failure",
      });
      equal(result.status, "error");
      equal(result.error?.type, "ValueError");
      deepStrictEqual(
        { policy: result.transaction?.policy, outcome: result.transaction?.outcome },
        { policy: "rollback_on_failure", outcome: "rolled_back" },
      );
      equal(await run(session, "'gone' in globals()"), false);
    });

    await t.step("rollback_on_failure keeps a successful execution", async () => {
      const result = await session.execute("stays = 2\nstays", {
        transaction: "rollback_on_failure",
      });
      equal(result.value, 2);
      deepStrictEqual(
        { policy: result.transaction?.policy, outcome: result.transaction?.outcome },
        { policy: "rollback_on_failure", outcome: "committed" },
      );
      equal(await run(session, "stays"), 2);
    });

    await t.step("commit_on_success is rollback_on_failure by another name", async () => {
      const result = await session.execute("alias = 1\n1/0", { transaction: "commit_on_success" });
      equal(result.transaction?.policy, "rollback_on_failure");
      equal(result.transaction?.outcome, "rolled_back");
      equal(await run(session, "'alias' in globals()"), false);
    });

    await t.step("rollback_always reports output and value, then rolls back", async () => {
      const result = await session.execute("print('dry')\ntrial = 21\ntrial * 2", {
        transaction: "rollback_always",
      });
      equal(result.status, "ok");
      equal(result.stdout, "dry\n");
      equal(result.value, 42);
      equal(result.transaction?.policy, "rollback_always");
      equal(result.transaction?.outcome, "rolled_back");
      equal(await run(session, "'trial' in globals()"), false);
    });

    await t.step("rollback_on_failure takes back an execution that called sys.exit()", async () => {
      const result = await session.execute("exiting = 1\nimport sys\nsys.exit(2)", {
        transaction: "rollback_on_failure",
      });
      equal(result.error?.type, "SystemExit");
      equal(result.transaction?.outcome, "rolled_back");
      equal(session.state, "ready");
      equal(await run(session, "'exiting' in globals()"), false);
    });

    await t.step("output streamed before a rollback stays reported", async () => {
      let streamed = "";
      const result = await session.execute(
        "import sys\nprint('before')\nprint('e', file=sys.stderr)\n1/0",
        {
          transaction: "rollback_on_failure",
          onOutput: (_stream, data) => (streamed += data),
        },
      );
      equal(result.transaction?.outcome, "rolled_back");
      equal(result.stdout, "before\n");
      equal(result.stderr, "e\n");
      ok(streamed.includes("before\n"), streamed);
    });

    await t.step("a rollback restores the execution count", async () => {
      const before = (await session.execute("pass")).executionCount;
      const failed = await session.execute("1/0", { transaction: "rollback_on_failure" });
      equal(failed.executionCount, before);
      equal((await session.execute("pass")).executionCount, before + 1);
    });

    await t.step(
      "commit() and rollback() without a transaction throw NoTransactionError",
      async () => {
        equal(session.inTransaction, false);
        await rejects(session.commit(), NoTransactionError);
        await rejects(session.rollback(), NoTransactionError);
        equal(await run(session, "stays"), 2);
      },
    );
  });
});

Deno.test("explicit transactions span executions until commit() or rollback()", async (t) => {
  await withSession(async (session) => {
    await run(session, "base = 1");
    await t.step(
      "rollback() returns to the state before the transaction's first execution",
      async () => {
        const count = (await session.execute("pass")).executionCount;
        const first = await session.execute("t1 = 1\nbase = 10", { transaction: "explicit" });
        deepStrictEqual(
          { policy: first.transaction?.policy, outcome: first.transaction?.outcome },
          { policy: "explicit", outcome: "pending" },
        );
        equal(session.inTransaction, true);
        const second = await session.execute("t2 = 2\nbase += 1\nbase", {
          transaction: "explicit",
        });
        equal(second.value, 11);
        equal(second.transaction?.outcome, "pending");
        await session.rollback();
        equal(session.inTransaction, false);
        deepStrictEqual(await run(session, "[base, 't1' in globals(), 't2' in globals()]"), [
          1,
          false,
          false,
        ]);
        equal((await session.execute("pass")).executionCount, count + 2);
      },
    );

    await t.step("commit() keeps every execution of the transaction", async () => {
      await session.execute("c1 = 1", { transaction: "explicit" });
      await session.execute("c2 = 2", { transaction: "explicit" });
      await session.commit();
      equal(session.inTransaction, false);
      deepStrictEqual(await run(session, "[c1, c2]"), [1, 2]);
      await rejects(session.rollback(), NoTransactionError);
    });

    await t.step(
      "a failed rollback_on_failure inside an open transaction returns to the inner point",
      async () => {
        await session.execute("outer = 'o'", { transaction: "explicit" });
        const inner = await session.execute("inner = 'i'\n1/0", {
          transaction: "rollback_on_failure",
        });
        equal(inner.transaction?.outcome, "rolled_back");
        equal(session.inTransaction, true);
        deepStrictEqual(await run(session, "['outer' in globals(), 'inner' in globals()]"), [
          true,
          false,
        ]);
        await session.rollback();
        equal(await run(session, "'outer' in globals()"), false);
      },
    );
  });
});

/** [what, setup, change (the failing execution raises after it), check expression, expected value]. */
const EXACTNESS_CASES: [string, string, string, string, unknown][] = [
  ["a new name", "", "brand_new = 1", "'brand_new' in globals()", false],
  ["a rebound name", "rebound = 'old'", "rebound = 'new'", "rebound", "old"],
  ["a deleted name", "deleted = 'here'", "del deleted", "deleted", "here"],
  ["an in-place list.append", "items = [1]", "items.append(2)", "items", [1]],
  ["an in-place dict update", "table = {'a': 1}", "table.update(b=2); table['a'] = 0", "table", {
    a: 1,
  }],
  [
    "an object attribute",
    "class Thing: pass\nthing = Thing(); thing.size = 1",
    "thing.size = 99; thing.extra = True",
    "[thing.size, hasattr(thing, 'extra')]",
    [1, false],
  ],
  ["a module attribute (math.tau = 0)", "import math", "math.tau = 0", "math.tau > 6", true],
  [
    "sys.path.append",
    "import sys\npath_length = len(sys.path)",
    "sys.path.append('/nowhere')",
    "[len(sys.path) == path_length, '/nowhere' in sys.path]",
    [true, false],
  ],
  [
    "os.environ",
    "import os",
    "os.environ['PYREPL3_TX_TEST'] = 'set'",
    "os.environ.get('PYREPL3_TX_TEST')",
    undefined,
  ],
  [
    "a module first imported by the rolled-back code",
    "import sys\nsys.modules.pop('colorsys', None)",
    "import colorsys",
    "'colorsys' in sys.modules",
    false,
  ],
];

Deno.test("a rollback restores exactly", async (t) => {
  await withSession(async (session) => {
    for (const [what, setup, change, check, expected] of EXACTNESS_CASES) {
      await t.step(what, async () => {
        if (setup) await run(session, setup);
        const result = await session.execute(`${change}\nraise RuntimeError('undo')`, {
          transaction: "rollback_on_failure",
        });
        equal(result.transaction?.outcome, "rolled_back");
        deepStrictEqual(await run(session, check), expected);
      });
    }

    await t.step("an in-place numpy array write", async () => {
      if (!(await canImport(session, "numpy"))) {
        console.log("numpy is not importable by the test python: nothing to check");
        return;
      }
      await run(session, "import numpy as np\narray = np.zeros(1000)");
      const result = await session.execute(
        "array[:] = 7\narray[3] = 9\nraise RuntimeError('undo')",
        {
          transaction: "rollback_on_failure",
        },
      );
      equal(result.transaction?.outcome, "rolled_back");
      equal(await run(session, "float(array.sum())"), 0);
    });
  });
});

Deno.test("a rollback after an interrupt restores the session", async () => {
  await withSession(async (session) => {
    await run(session, "counter = 0");
    const result = await session.execute(
      "import time\ncounter = 99\nprint('ready', flush=True)\ntime.sleep(30)",
      { transaction: "rollback_on_failure", onOutput: () => session.interrupt() },
    );
    equal(result.status, "interrupted");
    equal(result.transaction?.outcome, "rolled_back");
    equal(await run(session, "counter"), 0);
  });
});

Deno.test("a rollback after a timeout restores the session when the code yields", async () => {
  await withSession(async (session) => {
    await run(session, "counter = 0");
    const result = await session.execute("import time\ncounter = 99\ntime.sleep(30)", {
      transaction: "rollback_on_failure",
      timeoutMs: 200,
    });
    equal(result.status, "timeout");
    equal(result.stateLost, false);
    equal(result.transaction?.outcome, "rolled_back");
    equal(await run(session, "counter"), 0);
  });
});
