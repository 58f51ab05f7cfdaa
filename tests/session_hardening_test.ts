/**
 * The worker against odd values and hostile user code, through a real Session: frames that cannot fail to
 * encode (lone surrogates, huge ints), a runner that does not depend on state user code can change
 * (sys.stdout, builtins), an interruptible checkpoint, and bounded cell sources in linecache.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { CheckpointError, type ExecutionResult, type Session } from "../mod.ts";
import { withSession } from "./_helpers/session.ts";

/** Runs `code` and fails the test with the traceback unless it is ok; returns the value. */
async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback ?? result.status);
  return result.value;
}

/** Output still streams: an interrupt sent from the first output can only end the sleep if it came early. */
async function assertStreaming(session: Session): Promise<void> {
  const result = await session.execute("import time\nprint('started')\ntime.sleep(30)", {
    onOutput: () => session.interrupt(),
  });
  equal(result.status, "interrupted");
  equal(result.stdout, "started\n");
}

Deno.test("frames never fail to encode", async (t) => {
  await withSession(async (session) => {
    const folder = await Deno.makeTempDir();
    try {
      await t.step("a non-UTF-8 file name from os.listdir is escaped as \\udcff text", async () => {
        await Deno.writeFile(`${folder}/x`, new Uint8Array());
        // Deno cannot name a file with bytes that are not UTF-8: Python makes it.
        await run(
          session,
          `import os\nopen(os.path.join(b${JSON.stringify(folder)}, b'bad\\xff'), 'w').close()`,
        );
        const result = await session.execute(`sorted(os.listdir(${JSON.stringify(folder)}))`);
        equal(result.status, "ok", result.error?.traceback);
        deepStrictEqual(result.value, ["bad\\udcff", "x"]);
        equal(result.repr, "['bad\\udcff', 'x']");
      });
    } finally {
      await Deno.remove(folder, { recursive: true });
    }

    await t.step("an error message holding a lone surrogate is reported", async () => {
      const result = await session.execute("raise ValueError('bad \\udcff')");
      equal(result.status, "error");
      equal(result.error?.type, "ValueError");
      equal(result.error?.message, "bad \\udcff");
      match(result.error?.traceback ?? "", /ValueError: bad \\udcff/);
    });

    await t.step("an int too long to convert is shown by its repr, without a value", async () => {
      const result = await session.execute("10**5000");
      equal(result.status, "ok");
      if (typeof result.value === "bigint") equal(result.value, 10n ** 5000n); // Python < 3.11: no limit
      else {
        equal(result.value, undefined);
        match(result.repr ?? "", /Exceeds the limit/);
      }
    });

    await t.step("a map with a surrogate in a key keeps its value", async () => {
      deepStrictEqual(await run(session, "{1: '\\udcff'}"), new Map([[1, "\\udcff"]]));
    });

    await t.step("a printed surrogate between good lines loses none of them", async () => {
      const result = await session.execute("print('good 1')\nprint('\\udcff')\nprint('good 2')");
      equal(result.status, "ok");
      equal(result.stdout, "good 1\n\\udcff\ngood 2\n");
    });

    await t.step("an input prompt holding a surrogate is escaped", async () => {
      const prompts: string[] = [];
      const result = await session.execute("input('\\udcff? ')", {
        onInput: (request) => {
          prompts.push(request.prompt);
          return "yes";
        },
      });
      equal(result.value, "yes");
      deepStrictEqual(prompts, ["\\udcff? "]);
    });

    await t.step("under rollback_on_failure the state survives a surrogate error", async () => {
      await run(session, "kept = 1");
      const result = await session.execute("kept = 2\nraise ValueError('\\udcff')", {
        transaction: "rollback_on_failure",
      });
      equal(result.status, "error");
      equal(result.transaction?.outcome, "rolled_back");
      equal(await run(session, "kept"), 1);
    });

    await t.step("afterwards executions still work and output still streams", async () => {
      equal(await run(session, "6 * 7"), 42);
      await assertStreaming(session);
    });
  });
});

Deno.test("the runner does not depend on interpreter state user code changes", async (t) => {
  await withSession(async (session) => {
    for (
      const [change, undo] of [
        ["del sys.stdout", "sys.stdout = saved_out"],
        ["sys.stdout = None", "sys.stdout = saved_out"],
        ["sys.stderr = 42", "sys.stderr = saved_err"],
        [
          "del sys.stdout, sys.stderr, sys.__stdout__",
          "sys.stdout, sys.stderr = saved_out, saved_err",
        ],
      ]
    ) {
      await t.step(`after ${change} the next cell runs`, async () => {
        await run(session, `import sys\nsaved_out, saved_err = sys.stdout, sys.stderr\n${change}`);
        equal(await run(session, "1 + 1"), 2);
        const failed = await session.execute("1 / 0");
        equal(failed.error?.type, "ZeroDivisionError");
        await run(session, undo);
      });
    }

    await t.step("input() without sys.stdout fails as the built-in input() does", async () => {
      await run(session, "saved_out = sys.stdout\ndel sys.stdout");
      const result = await session.execute("input('name? ')", { inputs: ["x"] });
      await run(session, "sys.stdout = saved_out");
      equal(result.error?.type, "RuntimeError");
      equal(result.error?.message, "input(): lost sys.stdout");
    });

    await t.step(
      "with builtins.__import__ = None, errors, values and checkpoints work",
      async () => {
        await run(session, "import builtins\nsaved_import = builtins.__import__\nanswer = 42");
        await run(session, "builtins.__import__ = None");
        const failed = await session.execute("undefined_name");
        equal(failed.error?.type, "NameError");
        match(failed.error?.traceback ?? "", /Traceback/);
        deepStrictEqual(await run(session, "[answer, {'k': (1, 2)}]"), [42, { k: [1, 2] }]);
        const checkpoint = await session.checkpoint();
        await run(session, "answer = 0");
        await session.restore(checkpoint);
        equal(await run(session, "answer"), 42);
        await run(session, "builtins.__import__ = saved_import");
      },
    );

    await t.step("a hostile __import__ does not break checkpoint()", async () => {
      await run(
        session,
        "def refuse(*args, **kwargs):\n    raise ImportError('no imports here')\nbuiltins.__import__ = refuse",
      );
      ok((await session.checkpoint()).data.length > 0);
      await run(session, "builtins.__import__ = saved_import");
    });

    await t.step(
      "rebinding builtins the runner uses (len, repr, isinstance) breaks nothing",
      async () => {
        await run(session, "saved = builtins.len, builtins.isinstance, builtins.type");
        await run(session, "builtins.len = builtins.isinstance = builtins.type = None");
        const result = await session.execute("[1, 'two', b'3']");
        await run(session, "builtins.len, builtins.isinstance, builtins.type = saved");
        deepStrictEqual(result.value, [1, "two", new Uint8Array([51])]);
      },
    );
  });
});

Deno.test("checkpoint() can be interrupted and the session survives", async () => {
  await withSession(async (session) => {
    // Pickling runs user code; this __getstate__ interrupts its own process, as session.interrupt() would.
    await run(
      session,
      [
        "import os, signal, time",
        "class Slow:",
        "    def __getstate__(self):",
        "        os.kill(os.getpid(), signal.SIGINT)",
        "        time.sleep(30)",
        "        return {}",
        "slow = Slow()",
        "kept = 'here'",
      ].join("\n"),
    );
    await rejects(session.checkpoint(), (e: Error) => {
      ok(e instanceof CheckpointError);
      match(e.message, /interrupted/);
      return true;
    });
    equal(await run(session, "kept"), "here");
  });
});

Deno.test("linecache keeps only the cell sources tracebacks can still need", async () => {
  await withSession(async (session) => {
    const padding = `# ${"x".repeat(2000)}\n`;
    await run(session, `${padding}def early():\n    raise ValueError('from an early cell')`);
    const results: ExecutionResult[] = [];
    for (let i = 0; i < 150; i++) {
      results.push(await session.execute(`${padding}value_${i} = ${i}`));
    }
    ok(results.every((result) => result.status === "ok"));
    const kept = await run(
      session,
      "import linecache\nsorted(int(name[6:-1]) for name in linecache.cache if name.startswith('<cell '))",
    ) as number[];
    ok(kept.length <= 40, `linecache holds ${kept.length} cell sources`);
    ok(kept.includes(1), "the source of the cell that defined a live function was dropped");
    const failed = await session.execute("early()");
    match(failed.error?.traceback ?? "", /raise ValueError\('from an early cell'\)/);
  });
});
