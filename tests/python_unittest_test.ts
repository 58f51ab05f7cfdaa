/**
 * Runs the Python unit tests of runner/ (tests/python/test_*.py) with the test Python, so `deno test`
 * covers both halves of the project.
 *
 * The test modules import runner/ by path and are not a package (tests/python has no __init__.py), so
 * discovery starts in tests/python and uses it as the top-level directory.
 */
import { ok } from "node:assert/strict";

// Same default as tests/_helpers/session.ts, read here so this test does not load the TypeScript library.
const TEST_PYTHON = Deno.env.get("PYREPL3_TEST_PYTHON") ?? "python3";
const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("the Python unit tests of runner/ pass", async () => {
  const { code, stdout, stderr } = await new Deno.Command(TEST_PYTHON, {
    args: ["-m", "unittest", "discover", "-s", "tests/python", "-t", "tests/python"],
    cwd: ROOT,
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(stdout) + decoder.decode(stderr);
  ok(code === 0, `python -m unittest failed (exit ${code}):\n${output}`);
  ok(/Ran [1-9]\d* tests?/.test(output), `no Python tests ran:\n${output}`);
});
