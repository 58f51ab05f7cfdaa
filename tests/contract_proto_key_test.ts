/**
 * A dict with a "__proto__" key as a cell's value: Deno's msgpack decoder refuses that object key,
 * and the session was declared dead ("malformed frame from the worker"), the next execute a
 * SessionDeadError; `record` lost the recording with it. The value now travels as a Map.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { startSession, TEST_PYTHON } from "./_helpers/session.ts";

Deno.test("a value with a __proto__ key arrives as a Map, and the session lives on", async () => {
  const session = await startSession();
  try {
    const result = await session.execute("{'__proto__': 1, 'a': {'__proto__': [2]}}");
    equal(result.status, "ok");
    ok(result.value instanceof Map);
    equal(result.value.get("__proto__"), 1);
    deepStrictEqual(result.value.get("a"), new Map([["__proto__", [2]]]));
    equal(Object.getPrototypeOf({}), Object.prototype); // nothing polluted
    equal((await session.execute("1 + 1")).value, 2);
  } finally {
    await session.shutdown();
  }
});

Deno.test("record writes a __proto__ key as a value and the file replays green", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/p.yaml`;
  const run = await runCli(["record", file, "--python", TEST_PYTHON], {
    stdin: "{'__proto__': 1, 'a': 2}\n",
  });
  equal(run.code, 0, run.stderr);
  equal(
    (await Deno.readTextFile(file)).split("steps:\n")[1],
    `  - exec: "{'__proto__': 1, 'a': 2}"\n    expect:\n      value:\n        __proto__: 1\n        a: 2\n`,
  );
  await Deno.remove(dir, { recursive: true });
});
