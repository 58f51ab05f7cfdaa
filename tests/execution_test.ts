import { deepStrictEqual, equal, match, rejects } from "node:assert/strict";
import { createExecution, type Execution } from "../lib/execution.ts";
import { CappedText } from "../lib/_capped_text.ts";
import type { ExecutionEvent, ExecutionResult } from "../lib/results.ts";
import { Session } from "../mod.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

const result: ExecutionResult = {
  status: "ok",
  stdout: "hi\n",
  stderr: "",
  executionCount: 1,
  durationMs: 1,
};

async function types(execution: Execution): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of execution as AsyncIterable<ExecutionEvent>) seen.push(event.type);
  return seen;
}

Deno.test("an iterated execution yields its events in order and ends with the result", async () => {
  const { execution, control } = createExecution("e1");
  const seen = types(execution);
  control.push({ type: "output", stream: "stdout", data: "hi\n" });
  control.push({ type: "input", id: "e1.1", prompt: "? ", password: false });
  control.finish(result);
  deepStrictEqual(await seen, ["output", "input", "result"]);
  equal((await execution).stdout, "hi\n");
});

Deno.test("an execution iterated after it was awaited still ends with its result", async () => {
  const { execution, control } = createExecution("e2");
  control.push({ type: "output", stream: "stdout", data: "dropped: nobody iterated" });
  control.finish(result);
  await execution;
  deepStrictEqual(await types(execution), ["result"]);
});

Deno.test("a failed execution rejects both its awaiters and its iterators", async () => {
  const { execution, control } = createExecution("e3");
  control.fail(new Error("the session was shut down"));
  await rejects(Promise.resolve(execution), /shut down/);
  await rejects(types(execution), /shut down/);
});

Deno.test("an execution's internals are not reachable from its public handle", () => {
  const { execution } = createExecution("e4");
  const surface = execution as unknown as Record<string, unknown>;
  for (const name of ["push", "finish", "fail", "settled"]) equal(surface[name], undefined, name);
});

Deno.test("an execution has the promise surface: catch and finally work as on a promise", async () => {
  const failed = createExecution("e5");
  failed.control.fail(new Error("boom"));
  equal(await failed.execution.catch((error) => (error as Error).message), "boom");
  const done = createExecution("e6");
  let ran = false;
  done.control.finish(result);
  equal((await done.execution.finally(() => (ran = true))).stdout, "hi\n");
  equal(ran, true);
  equal(Object.prototype.toString.call(done.execution), "[object Execution]");
});

Deno.test("session.execute(code).catch(...) handles a closed session without a TypeError", async () => {
  const session = new Session({ python: TEST_PYTHON });
  const message = await session.execute("1").then(
    () => "resolved",
    (error) => (error as Error).name,
  );
  equal(message, "SessionClosedError");
  equal(await session.execute("1").catch((error) => (error as Error).name), "SessionClosedError");
});

Deno.test("collected output is capped with a marker that counts what was dropped", () => {
  const text = new CappedText(5);
  text.append("abc");
  text.append("defgh");
  text.append("ij");
  match(text.text(), /^abcde\n\[pyrepl3: output truncated, 5 more characters were not kept\]\n$/);
});
