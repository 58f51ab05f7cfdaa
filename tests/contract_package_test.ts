/**
 * The runner's cache copy (issue 12) when something happened to it: a copy with files missing or
 * cut short is replaced. Before, only runner/boot.py was looked at, and every later session of a
 * module loaded over https failed to start from the broken copy.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import { RUNNER_HASH, RUNNER_SOURCES } from "../lib/_runner_sources.ts";
import { runnerBootPath } from "../lib/runner_files.ts";

const REMOTE_URL = "https://jsr.io/@pyrepl3/pyrepl3/0.1.0/lib/runner_files.ts";

Deno.test("a cache copy of the runner with a file missing or cut short is written again", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyrepl3-cache-test-" });
  try {
    const boot = await runnerBootPath({ moduleUrl: REMOTE_URL, cacheRoot: root });
    const runnerDir = boot.slice(0, -"/boot.py".length);
    for (
      const damage of [
        () => Deno.remove(`${runnerDir}/keeper.py`),
        () => Deno.writeTextFile(`${runnerDir}/protocol.py`, "cut sho"),
      ]
    ) {
      await damage();
      equal(await runnerBootPath({ moduleUrl: REMOTE_URL, cacheRoot: root }), boot);
      for (const [name, text] of Object.entries(RUNNER_SOURCES)) {
        equal(await Deno.readTextFile(`${runnerDir}/${name}`), text, `${name} differs`);
      }
      const left = [];
      for await (const entry of Deno.readDir(`${root}/pyrepl3`)) left.push(entry.name);
      deepStrictEqual(left, [RUNNER_HASH]); // the broken copy and the temporary are gone
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
