/**
 * The runner travels with the module: the generated sources match runner/, a local module uses
 * runner/ in place, and a remote one gets one complete copy in a content-hashed cache directory, also
 * when several processes start at once, from which the runner loads itself and caches its bytecode.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { RUNNER_HASH, RUNNER_SOURCES } from "../lib/_runner_sources.ts";
import { runnerBootPath } from "../lib/runner_files.ts";
import { GENERATED_PATH, renderRunnerSources } from "../tools/gen_runner_sources.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

const ROOT = new URL("..", import.meta.url);
const RUNNER_FILES_URL = new URL("lib/runner_files.ts", ROOT).href;
/** Where the module would be loaded from once published. */
const REMOTE_URL = "https://jsr.io/@pyrepl3/pyrepl3/0.1.0/lib/runner_files.ts";

async function withCacheRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "pyrepl3-cache-test-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function entries(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Asserts that `runnerDir` holds exactly the embedded sources, byte for byte. */
async function assertCompleteCopy(runnerDir: string): Promise<void> {
  for (const [name, text] of Object.entries(RUNNER_SOURCES)) {
    equal(await Deno.readTextFile(`${runnerDir}/${name}`), text, `${name} differs`);
  }
  const written = (await entries(runnerDir)).filter((name) => name !== "__pycache__");
  deepStrictEqual(written, Object.keys(RUNNER_SOURCES).filter((n) => !n.includes("/")).sort());
}

Deno.test("lib/_runner_sources.ts matches runner/ (run `deno task gen` after changing runner/)", async () => {
  const current = await Deno.readTextFile(new URL(GENERATED_PATH, ROOT));
  ok(current === await renderRunnerSources(), `${GENERATED_PATH} is stale: run \`deno task gen\``);
  ok("boot.py" in RUNNER_SOURCES && "load.py" in RUNNER_SOURCES && "keeper.py" in RUNNER_SOURCES);
});

Deno.test("a module loaded from a local file uses runner/ in place and writes no cache", async () => {
  await withCacheRoot(async (root) => {
    const path = await runnerBootPath({ moduleUrl: RUNNER_FILES_URL, cacheRoot: root });
    equal(path, new URL("runner/boot.py", ROOT).pathname);
    deepStrictEqual(await entries(root), []);
    equal(await runnerBootPath(), path);
  });
});

Deno.test("a module loaded over https writes the runner once into a content-hashed directory", async () => {
  await withCacheRoot(async (root) => {
    const path = await runnerBootPath({ moduleUrl: REMOTE_URL, cacheRoot: root });
    equal(path, `${root}/pyrepl3/${RUNNER_HASH}/runner/boot.py`);
    await assertCompleteCopy(`${root}/pyrepl3/${RUNNER_HASH}/runner`);
    // A second use finds the copy and leaves it alone (a file added to it survives).
    await Deno.writeTextFile(`${root}/pyrepl3/${RUNNER_HASH}/marker`, "");
    equal(await runnerBootPath({ moduleUrl: REMOTE_URL, cacheRoot: root }), path);
    deepStrictEqual(await entries(`${root}/pyrepl3/${RUNNER_HASH}`), ["marker", "runner"]);
    deepStrictEqual(await entries(`${root}/pyrepl3`), [RUNNER_HASH]);
  });
});

Deno.test("concurrent first uses in one process all get the same complete copy", async () => {
  await withCacheRoot(async (root) => {
    const paths = await Promise.all(
      Array.from({ length: 8 }, () => runnerBootPath({ moduleUrl: REMOTE_URL, cacheRoot: root })),
    );
    deepStrictEqual(new Set(paths), new Set([`${root}/pyrepl3/${RUNNER_HASH}/runner/boot.py`]));
    deepStrictEqual(await entries(`${root}/pyrepl3`), [RUNNER_HASH]); // no temporary left behind
    await assertCompleteCopy(`${root}/pyrepl3/${RUNNER_HASH}/runner`);
  });
});

Deno.test("concurrent first uses by several processes all get the same complete copy", async () => {
  await withCacheRoot(async (root) => {
    const code = `import { runnerBootPath } from ${JSON.stringify(RUNNER_FILES_URL)};
console.log(await runnerBootPath({ moduleUrl: ${JSON.stringify(REMOTE_URL)}, cacheRoot: ${
      JSON.stringify(root)
    } }));`;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Deno.Command(Deno.execPath(), {
          args: ["eval", "--no-config", code],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output()),
    );
    for (const { code, stdout, stderr } of outputs) {
      equal(code, 0, new TextDecoder().decode(stderr));
      equal(
        new TextDecoder().decode(stdout).trim(),
        `${root}/pyrepl3/${RUNNER_HASH}/runner/boot.py`,
      );
    }
    deepStrictEqual(await entries(`${root}/pyrepl3`), [RUNNER_HASH]);
    await assertCompleteCopy(`${root}/pyrepl3/${RUNNER_HASH}/runner`);
  });
});

Deno.test("the runner loads itself from the cache copy and caches its bytecode there", async () => {
  await withCacheRoot(async (root) => {
    const boot = await runnerBootPath({ moduleUrl: REMOTE_URL, cacheRoot: root });
    const runnerDir = boot.slice(0, -"/boot.py".length);
    // What boot.py does before it starts the keeper: load.py by path, then the runner's modules,
    // with bytecode writing on for them even under PYTHONDONTWRITEBYTECODE.
    const script = `
import json, os, sys
runner_dir = sys.argv[1]
sys.dont_write_bytecode = False
loader_path = os.path.join(runner_dir, "load.py")
loader = {"__name__": "_pyrepl3_load", "__file__": loader_path}
exec(compile(open(loader_path).read(), loader_path, "exec"), loader)
names = ["keeper", "interpreter", "executor"]
modules = [loader["load_module"](name) for name in names]
print(json.dumps({"files": [m.__file__ for m in modules], "runner_dir": modules[2].RUNNER_DIR}))
`;
    const { code, stdout, stderr } = await new Deno.Command(TEST_PYTHON, {
      args: ["-c", script, runnerDir],
      env: { PYTHONDONTWRITEBYTECODE: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(code, 0, new TextDecoder().decode(stderr));
    const loaded = JSON.parse(new TextDecoder().decode(stdout));
    deepStrictEqual(
      loaded.files,
      ["keeper", "interpreter", "executor"].map((n) => `${runnerDir}/${n}.py`),
    );
    equal(loaded.runner_dir, runnerDir); // user tracebacks drop the frames under this directory
    const cached = await entries(`${runnerDir}/__pycache__`);
    for (const name of ["keeper", "interpreter", "executor", "framing", "protocol"]) {
      ok(
        cached.some((file) => file.startsWith(`${name}.`) && file.endsWith(".pyc")),
        `${name}: ${cached}`,
      );
    }
  });
});
