import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parse } from "yaml";
import { appendSteps, stepFromResult } from "../lib/cli/record_file.ts";
import type { ExecutionResult } from "../lib/results.ts";
import { type EntryStatus, entryStatus } from "../lib/session.ts";
import { withSession } from "./_helpers/session.ts";

// Python decides, as its interactive console does: these are the entries a TypeScript heuristic
// used to run at once while python3 shows `... `.
const cases: [string, EntryStatus][] = [
  ["x = 1", "complete"],
  ["@dec", "incomplete"],
  ["if x: pass", "incomplete"],
  ["for i in r: print(i)", "incomplete"],
  ["while True: ...", "incomplete"],
  ["def f():", "incomplete"],
  ["def f():\n    return 1", "incomplete"],
  ["def f():\n    return 1\n", "complete"],
  ["if x:  # a comment", "incomplete"],
  ["x = (1,", "incomplete"],
  ["x = (1,\n2)", "complete"],
  ["s = '''one", "incomplete"],
  ["x = 1 + \\", "incomplete"],
  ["print('#(')", "complete"],
  ["1 +* 2", "invalid"],
];
Deno.test("the interpreter decides whether an entry is whole, touching nothing", async () => {
  await withSession(async (session) => {
    for (const [source, status] of cases) equal(await entryStatus(session, source), status, source);
    const after = await session.execute("1");
    equal(after.executionCount, 1, "no entry counted as an execution");
    equal((await session.execute("'x' in dir()")).value, false);
  });
});

function result(fields: Partial<ExecutionResult>): ExecutionResult {
  return { status: "ok", stdout: "", stderr: "", executionCount: 1, durationMs: 1, ...fields };
}

Deno.test("a recorded step expects stdout, a plain value (a big int exact), or else the repr", () => {
  deepStrictEqual(stepFromResult("print(1); 2", result({ stdout: "1\n", value: 2, repr: "2" })), {
    exec: "print(1); 2",
    expect: { stdout: "1\n", value: 2 },
  });
  deepStrictEqual(
    stepFromResult("2**70", result({ value: 2n ** 70n, repr: "1180591620717411303424" })),
    {
      exec: "2**70",
      expect: { value: 2n ** 70n },
    },
  );
  deepStrictEqual(stepFromResult("x = 1", result({})), { exec: "x = 1" });
});

Deno.test("a recorded step expects the error type and an unusual status", () => {
  const error = { type: "ZeroDivisionError", message: "division by zero", traceback: "" };
  deepStrictEqual(stepFromResult("1/0", result({ status: "error", error })), {
    exec: "1/0",
    expect: { error: "ZeroDivisionError" },
  });
  deepStrictEqual(stepFromResult("while 1: pass", result({ status: "timeout" })).expect, {
    status: "timeout",
  });
});

Deno.test("a recorded step keeps the input replies it was given", () => {
  const step = stepFromResult("input('Name: ')", result({ value: "Al", repr: "'Al'" }), [
    { prompt: "Name: ", reply: "Al" },
  ]);
  deepStrictEqual(step.inputs, [{ prompt: "Name: ", reply: "Al" }]);
});

Deno.test("appendSteps creates a file named after itself", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/my_flow.yaml`;
  await appendSteps(file, [{
    exec: "for i in range(2):\n    print(i)",
    expect: { stdout: "0\n1\n" },
  }]);
  deepStrictEqual(parse(await Deno.readTextFile(file)), {
    name: "my_flow",
    steps: [{ exec: "for i in range(2):\n    print(i)", expect: { stdout: "0\n1\n" } }],
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("appendSteps appends to an existing file and keeps its comments", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/s.yaml`;
  await Deno.writeTextFile(
    file,
    "# header comment\nname: kept # why\nsteps:\n  # the first\n  - exec: x = 1\n",
  );
  await appendSteps(file, [{ exec: "x", expect: { value: 1 } }]);
  const text = await Deno.readTextFile(file);
  ok(
    text.startsWith("# header comment\nname: kept # why\nsteps:\n  # the first\n  - exec: x = 1\n"),
    text,
  );
  deepStrictEqual(parse(text).steps, [{ exec: "x = 1" }, { exec: "x", expect: { value: 1 } }]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("appendSteps appends to a JSON scenario as JSON", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/s.json`;
  await Deno.writeTextFile(file, JSON.stringify({ name: "j", steps: [{ exec: "a = 1" }] }));
  await appendSteps(file, [{ exec: "a" }]);
  deepStrictEqual(JSON.parse(await Deno.readTextFile(file)), {
    name: "j",
    steps: [{ exec: "a = 1" }, { exec: "a" }],
  });
  await Deno.remove(dir, { recursive: true });
});
