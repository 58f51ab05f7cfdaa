import { deepStrictEqual, equal, match, rejects } from "node:assert/strict";
import { CappedText, Execution } from "../lib/execution.ts";
import type { ExecutionEvent, ExecutionResult } from "../lib/results.ts";

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
  const execution = new Execution("e1");
  const seen = types(execution);
  execution.push({ type: "output", stream: "stdout", data: "hi\n" });
  execution.push({ type: "input", id: "e1.1", prompt: "? ", password: false });
  execution.finish(result);
  deepStrictEqual(await seen, ["output", "input", "result"]);
  equal((await execution).stdout, "hi\n");
});

Deno.test("an execution iterated after it was awaited still ends with its result", async () => {
  const execution = new Execution("e2");
  execution.push({ type: "output", stream: "stdout", data: "dropped: nobody iterated" });
  execution.finish(result);
  await execution;
  deepStrictEqual(await types(execution), ["result"]);
});

Deno.test("a failed execution rejects both its awaiters and its iterators", async () => {
  const execution = new Execution("e3");
  execution.fail(new Error("the session was shut down"));
  await rejects(Promise.resolve(execution), /shut down/);
  await rejects(types(execution), /shut down/);
});

Deno.test("collected output is capped with a marker that counts what was dropped", () => {
  const text = new CappedText(5);
  text.append("abc");
  text.append("defgh");
  text.append("ij");
  match(text.text(), /^abcde\n\[pyrepl3: output truncated, 5 more characters were not kept\]\n$/);
});
