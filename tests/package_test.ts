/**
 * PyREPL3 used as outsiders use it, by the routes README documents: a project of their own that
 * links the clone or holds it as a workspace member, a script importing mod.ts over http, and
 * `deno install -g` exactly as README writes it. Plus what `deno publish` would upload.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  isolatedDenoDir,
  REPO_ROOT,
  run,
  serveDirectory,
  tempProject,
} from "./_helpers/outsider.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";
import { RUNNER_HASH } from "../lib/_runner_sources.ts";
import denoJson from "../deno.json" with { type: "json" };

const SCENARIO = await Deno.readTextFile(`${REPO_ROOT}/scenarios/greeting.yaml`);

/** An outsider's script: a session that runs `x = 41; x + 1`, then a scenario file. */
function outsiderScript(specifier: string): string {
  return `import { loadScenario, runScenario, Session } from ${JSON.stringify(specifier)};
const python = ${JSON.stringify(TEST_PYTHON)};
const session = new Session({ python });
await session.start();
try {
  console.log("value", JSON.stringify((await session.execute("x = 41; x + 1")).value));
} finally {
  await session.shutdown();
}
const report = await runScenario(await loadScenario("greeting.yaml"), { python });
console.log("scenario", report.status);
`;
}

function assertRanBoth(result: { code: number; stdout: string; stderr: string }): void {
  equal(result.code, 0, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  ok(result.stdout.includes("value 42\n"), result.stdout);
  ok(result.stdout.includes("scenario passed\n"), result.stdout);
}

async function inProject(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await tempProject({ "greeting.yaml": SCENARIO, ...files });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test('a project of its own imports the clone through "links" and runs a session and a scenario', async () => {
  await inProject({
    "deno.json": JSON.stringify({
      imports: { "@pyrepl3/pyrepl3": `jsr:@pyrepl3/pyrepl3@^${denoJson.version}` },
      links: [REPO_ROOT],
    }),
    "main.ts": outsiderScript("@pyrepl3/pyrepl3"),
  }, async (dir) => {
    assertRanBoth(await run("deno", ["run", "-A", "main.ts"], { cwd: dir }));
  });
});

Deno.test("a project of its own holds the clone as a workspace member and runs a session and a scenario", async () => {
  await inProject({
    "deno.json": JSON.stringify({ workspace: ["./pyrepl3"] }),
    "main.ts": outsiderScript("@pyrepl3/pyrepl3"),
  }, async (dir) => {
    await Deno.symlink(REPO_ROOT, `${dir}/pyrepl3`); // README: a clone, a submodule or a symlink
    assertRanBoth(await run("deno", ["run", "-A", "main.ts"], { cwd: dir }));
  });
});

Deno.test("a script without an import map imports mod.ts over http and runs x = 41; x + 1", async () => {
  const server = serveDirectory(REPO_ROOT);
  const denoDir = await isolatedDenoDir();
  const cache = await Deno.makeTempDir({ prefix: "pyrepl3-xdg-cache-" });
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    await inProject({ "main.ts": outsiderScript(`http://${host}/mod.ts`) }, async (dir) => {
      // -A holds --allow-import, which a module from any host but jsr.io, deno.land and a few more needs.
      const result = await run("deno", ["run", "--no-config", "-A", "main.ts"], {
        cwd: dir,
        env: { DENO_DIR: denoDir, XDG_CACHE_HOME: cache },
      });
      assertRanBoth(result);
    });
    // The runner ran from its cache copy, and Python cached the runner's bytecode there.
    const runnerDir = `${cache}/pyrepl3/${RUNNER_HASH}/runner`;
    ok((await Deno.stat(`${runnerDir}/boot.py`)).isFile);
    const pycache = [];
    for await (const entry of Deno.readDir(`${runnerDir}/__pycache__`)) pycache.push(entry.name);
    ok(pycache.some((name) => name.startsWith("keeper.")), pycache.join(" "));
  } finally {
    await server.shutdown();
    await Deno.remove(denoDir, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("deno install -g as README writes it gives a pyrepl3 command that runs scenarios/", async () => {
  const readme = await Deno.readTextFile(`${REPO_ROOT}/README.md`);
  // The line in README's CLI section, without its trailing comment.
  const line = readme.split("\n").map((l) => l.replace(/\s+#.*$/, ""))
    .find((l) => l.startsWith("deno install -g ") && l.endsWith(" cli.ts"));
  ok(line, "README has no `deno install -g ... cli.ts` line");
  const root = await Deno.makeTempDir({ prefix: "pyrepl3-install-root-" });
  try {
    const [command, ...args] = line.split(/\s+/);
    const env = { DENO_INSTALL_ROOT: root };
    const installed = await run(command, args, { cwd: REPO_ROOT, env });
    equal(installed.code, 0, installed.stderr);
    const version = await run(`${root}/bin/pyrepl3`, ["--version"], { cwd: REPO_ROOT });
    equal(version.stdout, `pyrepl3 ${denoJson.version}\n`);
    const python = TEST_PYTHON === "python3" ? [] : ["--python", TEST_PYTHON];
    const scenarios = await run(`${root}/bin/pyrepl3`, ["scenarios/", ...python], {
      cwd: REPO_ROOT,
    });
    equal(scenarios.code, 0, scenarios.stdout + scenarios.stderr);
    ok(/\d+ scenarios: \d+ passed, 0 failed/.test(scenarios.stdout), scenarios.stdout);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno publish would upload the library, the CLI, the runner and the schema, nothing else", async () => {
  const result = await run("deno", ["publish", "--dry-run", "--allow-dirty", "--no-check"], {
    cwd: REPO_ROOT,
  });
  equal(result.code, 0, result.stderr);
  const files = [...(result.stdout + result.stderr).matchAll(/file:\/\/(\S+) \(/g)]
    .map((m) => m[1].slice(REPO_ROOT.length + 1));
  const tops = new Set(files.map((f) => f.includes("/") ? `${f.split("/")[0]}/` : f));
  deepStrictEqual(
    [...tops].sort(),
    ["LICENSE", "README.md", "cli.ts", "deno.json", "lib/", "mod.ts", "runner/"],
  );
  for (const needed of ["runner/boot.py", "lib/scenario/schema.json", "lib/_runner_sources.ts"]) {
    ok(files.includes(needed), `${needed} missing from ${files.join(" ")}`);
  }
  ok(!files.some((f) => f.includes("__pycache__") || f.endsWith(".pyc")), files.join(" "));
});

Deno.test("lib/ names npm packages by full specifier, at the versions of deno.json's import map", async () => {
  // Import maps do not travel with a module loaded by URL: a bare "yaml" in lib/ would fail there.
  const mapped = new Set(Object.values(denoJson.imports));
  const files = ["mod.ts", "cli.ts"];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(`${REPO_ROOT}/${dir}`)) {
      if (entry.isDirectory) await walk(`${dir}/${entry.name}`);
      else if (entry.name.endsWith(".ts")) files.push(`${dir}/${entry.name}`);
    }
  }
  await walk("lib");
  const wrong = [];
  for (const file of files) {
    const text = await Deno.readTextFile(`${REPO_ROOT}/${file}`);
    for (const [, specifier] of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*"([^"]+)"/g)) {
      const fine = specifier.startsWith(".") || specifier.startsWith("node:") ||
        (specifier.startsWith("npm:") && mapped.has(specifier));
      if (!fine) wrong.push(`${file}: ${specifier}`);
    }
  }
  deepStrictEqual(wrong, []);
});
