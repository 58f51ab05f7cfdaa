/**
 * A Session's output streaming and input prompts, against a real Python worker.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { type ExecutionEvent, UnknownInputError } from "../mod.ts";
import { startSession, withSession } from "./_helpers/session.ts";

/** Merges adjacent output events of the same stream, so chunking does not matter. */
function mergeOutput(events: ExecutionEvent[]): [string, string][] {
  const merged: [string, string][] = [];
  for (const event of events) {
    if (event.type !== "output") continue;
    const last = merged.at(-1);
    if (last && last[0] === event.stream) last[1] += event.data;
    else merged.push([event.stream, event.data]);
  }
  return merged;
}

async function collect(iterable: AsyncIterable<ExecutionEvent>): Promise<ExecutionEvent[]> {
  const events: ExecutionEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

Deno.test("output", async (t) => {
  await withSession(async (session) => {
    await t.step("output reaches onOutput while the code still runs", async () => {
      // Interrupting from onOutput can only end the sleep early if the output came before the sleep ended.
      const seen: string[] = [];
      const result = await session.execute(
        "import time\nprint('started')\ntime.sleep(20)\n'slept'",
        {
          onOutput: (_stream, data) => {
            seen.push(data);
            session.interrupt();
          },
        },
      );
      equal(result.status, "interrupted");
      equal(seen.join(""), "started\n");
      equal(result.error?.type, "KeyboardInterrupt");
    });

    await t.step("output reaches the iterator while the code still runs", async () => {
      const execution = session.execute("import time\nprint('tick')\ntime.sleep(20)");
      const types: string[] = [];
      for await (const event of execution) {
        types.push(event.type);
        if (event.type === "output") await session.interrupt();
        if (event.type === "result") equal(event.result.status, "interrupted");
      }
      deepStrictEqual(types, ["output", "result"]);
    });

    await t.step("all output arrives before the result", async () => {
      const code =
        "import sys\nfor i in range(200):\n    print(i)\n    print(i, file=sys.stderr)\n";
      const events = await collect(session.execute(code));
      equal(events.at(-1)?.type, "result");
      const expected = Array.from({ length: 200 }, (_, i) => `${i}\n`).join("");
      const stdout = events.filter((e) => e.type === "output" && e.stream === "stdout");
      equal(stdout.map((e) => e.type === "output" ? e.data : "").join(""), expected);
      const result = events.at(-1);
      equal(result?.type === "result" ? result.result.stdout : "", expected);
    });

    await t.step("the order of interleaved stdout and stderr writes is kept", async () => {
      const code =
        "import sys\nfor i in range(3):\n    print('o', i)\n    print('e', i, file=sys.stderr)";
      const events = await collect(session.execute(code));
      deepStrictEqual(mergeOutput(events), [
        ["stdout", "o 0\n"],
        ["stderr", "e 0\n"],
        ["stdout", "o 1\n"],
        ["stderr", "e 1\n"],
        ["stdout", "o 2\n"],
        ["stderr", "e 2\n"],
      ]);
    });

    await t.step("os.write(1, ...) is captured", async () => {
      const result = await session.execute("import os\nos.write(1, b'x')\nos.write(2, b'y')\nNone");
      equal(result.stdout, "x");
      equal(result.stderr, "y");
    });

    await t.step("print(..., file=sys.__stdout__) is captured", async () => {
      const result = await session.execute("import sys\nprint('dunder', file=sys.__stdout__)");
      equal(result.stdout, "dunder\n");
    });

    await t.step("a child process's output is captured", async () => {
      const result = await session.execute(
        "import subprocess\nsubprocess.run(['echo', 'hi']).returncode",
      );
      equal(result.value, 0);
      equal(result.stdout, "hi\n");
    });

    await t.step("os.read(0, 10) returns b'' and the session goes on", async () => {
      const result = await session.execute("import os\nos.read(0, 10)");
      equal(result.status, "ok", result.error?.traceback);
      deepStrictEqual(result.value, new Uint8Array());
      equal((await session.execute("1 + 1")).value, 2);
    });

    await t.step("output written without a trailing newline arrives", async () => {
      const result = await session.execute("import sys\nsys.stdout.write('no newline')\nNone");
      equal(result.stdout, "no newline");
    });
  });
});

Deno.test("the output cap truncates the result with a marker while onOutput sees everything", async () => {
  await withSession(async (session) => {
    let streamed = "";
    const result = await session.execute("print('x' * 10000)", {
      onOutput: (_s, data) => (streamed += data),
    });
    equal(streamed, "x".repeat(10000) + "\n");
    ok(result.stdout.startsWith("x".repeat(100)), result.stdout.slice(0, 200));
    ok(result.stdout.length < 1000, `kept ${result.stdout.length} characters`);
    ok(result.stdout.includes("truncated"), result.stdout);
  }, { maxOutputChars: 100 });
});

Deno.test("input", async (t) => {
  await withSession(async (session) => {
    await t.step(
      "input(prompt) is answered from inputs; the prompt is shown and the reply not echoed",
      async () => {
        const result = await session.execute("name = input('name? ')\n'hello ' + name", {
          inputs: ["bob"],
        });
        equal(result.status, "ok", result.error?.traceback);
        equal(result.value, "hello bob");
        equal(result.stdout, "name? ");
      },
    );

    await t.step("sys.stdin.readline() reads one reply as a line", async () => {
      const result = await session.execute("import sys\nsys.stdin.readline()", { inputs: ["abc"] });
      equal(result.value, "abc\n");
    });

    await t.step("getpass.getpass is answered and marked as a password prompt", async () => {
      const events = await collect(
        session.execute("import getpass\ngetpass.getpass('pw: ')", { inputs: ["s3cret"] }),
      );
      const input = events.find((e) => e.type === "input");
      equal(input?.type === "input" && input.password, true);
      const last = events.at(-1);
      ok(last?.type === "result");
      equal(last.result.value, "s3cret");
      ok(!last.result.stdout.includes("s3cret"), last.result.stdout);
    });

    await t.step("a null reply is EOFError", async () => {
      const result = await session.execute("input('more? ')", { inputs: [null] });
      equal(result.status, "error");
      equal(result.error?.type, "EOFError");
    });

    await t.step("several prompts in one execution take the inputs in order", async () => {
      const code = "a = input('a? ')\nb = input('b? ')\na + b";
      const result = await session.execute(code, { inputs: ["1", "2"] });
      equal(result.value, "12");
      equal(result.stdout, "a? b? ");
    });

    await t.step("prompts across executions use each execution's own inputs", async () => {
      equal((await session.execute("input()", { inputs: ["first"] })).value, "first");
      equal((await session.execute("input()", { inputs: ["second"] })).value, "second");
    });

    await t.step("iterating with inputResponse answers each prompt", async () => {
      const execution = session.execute("x = input('x? ')\ny = input('y? ')\nx + '-' + y");
      const prompts: string[] = [];
      let value: unknown;
      for await (const event of execution) {
        if (event.type === "input") {
          prompts.push(event.prompt);
          await session.inputResponse(event.id, event.prompt === "x? " ? "left" : "right");
        }
        if (event.type === "result") value = event.result.value;
      }
      deepStrictEqual(prompts, ["x? ", "y? "]);
      equal(value, "left-right");
    });

    await t.step("onInput answers each prompt", async () => {
      const result = await session.execute("input('q? ')", {
        onInput: (request) => request.prompt.toUpperCase(),
      });
      equal(result.value, "Q? ");
    });

    await t.step("exhausted inputs are an InputExhaustedError naming the prompt", async () => {
      const result = await session.execute("a = input('first? ')\nb = input('second? ')", {
        inputs: ["1"],
      });
      equal(result.status, "error");
      equal(result.error?.type, "InputExhaustedError");
      ok(result.error?.message.includes("second? "), result.error?.message);
    });

    await t.step("an InputExhaustedError's traceback shows user frames only", async () => {
      const result = await session.execute("answer = input('which? ')", { inputs: [] });
      equal(result.error?.type, "InputExhaustedError");
      const traceback = result.error?.traceback ?? "";
      ok(traceback.includes("answer = input('which? ')"), traceback);
      ok(!traceback.includes("runner/"), traceback);
    });

    await t.step(
      "interrupt() while input() waits is interrupted, with user frames only",
      async () => {
        let status = "";
        let traceback = "";
        for await (const event of session.execute("reply = input('wait? ')")) {
          if (event.type === "input") await session.interrupt();
          if (event.type === "result") {
            status = event.result.status;
            traceback = event.result.error?.traceback ?? "";
          }
        }
        equal(status, "interrupted");
        ok(!traceback.includes("runner/"), traceback);
        equal((await session.execute("'alive'")).value, "alive");
      },
    );

    await t.step("a timeout while input() waits is timeout and the session goes on", async () => {
      let status = "";
      for await (const event of session.execute("input('wait? ')", { timeoutMs: 100 })) {
        if (event.type === "result") status = event.result.status;
      }
      equal(status, "timeout");
      equal((await session.execute("'alive'")).value, "alive");
    });

    await t.step("except Exception does not swallow InputExhaustedError", async () => {
      const code = "try:\n    input('p? ')\nexcept Exception:\n    caught = True";
      const result = await session.execute(code, { inputs: [] });
      equal(result.error?.type, "InputExhaustedError");
    });

    await t.step("a prompt awaited without inputs is the same error, not a hang", async () => {
      const result = await session.execute("input('anyone? ')");
      equal(result.status, "error");
      equal(result.error?.type, "InputExhaustedError");
      ok(result.error?.message.includes("anyone? "), result.error?.message);
      equal((await session.execute("'still alive'")).value, "still alive");
    });

    await t.step(
      "sys.stdin reads again in an execution after one that reached end of input",
      async () => {
        await session.execute("import sys\nsys.stdin.read()", { inputs: ["a", null] });
        const result = await session.execute("import sys\nsys.stdin.readline()", {
          inputs: ["again"],
        });
        equal(result.value, "again\n");
      },
    );

    await t.step("inputResponse with an unknown id throws UnknownInputError", async () => {
      await rejects(session.inputResponse("no-such-id", "x"), UnknownInputError);
    });
  });
});

Deno.test("inputResponse with a stale id during a running prompt throws UnknownInputError", async () => {
  const session = await startSession();
  try {
    const execution = session.execute("input('real? ')");
    for await (const event of execution) {
      if (event.type === "input") {
        await rejects(session.inputResponse(event.id + "x", "nope"), UnknownInputError);
        await session.inputResponse(event.id, "yes");
      }
      if (event.type === "result") equal(event.result.value, "yes");
    }
  } finally {
    await session.shutdown();
  }
});

// Each of these reaches end of input, so each has its own session (see the "reads again" step above).
Deno.test("sys.stdin.read() reads replies until end of input", async () => {
  await withSession(async (session) => {
    const result = await session.execute("import sys\nsys.stdin.read()", {
      inputs: ["a", "b", null],
    });
    equal(result.status, "ok", result.error?.traceback);
    equal(result.value, "a\nb\n");
  });
});

Deno.test("for line in sys.stdin iterates the replies", async () => {
  await withSession(async (session) => {
    const code = "import sys\n[line.strip() for line in sys.stdin]";
    const result = await session.execute(code, { inputs: ["one", "two", null] });
    deepStrictEqual(result.value, ["one", "two"]);
  });
});
