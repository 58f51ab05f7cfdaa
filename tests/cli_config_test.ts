/**
 * The project config file (`pyrepl3.yaml`): defaults and setup steps for every scenario under it,
 * paths resolved from the file that states them, validated like scenario files.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { loadScenario } from "../lib/scenario/load.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import { runCli } from "./_helpers/cli.ts";

/** A temp dir holding `files` (path -> text; folders are made). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_config_" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

const IMPORTS_MYPKG = `name: uses mypkg
steps:
  - exec: import mypkg; mypkg.greet("Ada")
    expect: { value: Hello Ada }
`;
const MYPKG = `def greet(name):\n    return "Hello " + name\n`;

Deno.test("a local package at the root is importable from scenarios/ with pyrepl3.yaml's cwd: .", async () => {
  const dir = await tree({
    "mypkg/__init__.py": MYPKG,
    "pyrepl3.yaml": "cwd: .\n",
    "scenarios/t.yaml": IMPORTS_MYPKG,
  });
  try {
    // Run from elsewhere: what counts is where the files are, not where the shell stands.
    const run = await runCli([`${dir}/scenarios/`], { cwd: "/" });
    equal(run.code, 0, run.stdout + run.stderr);
    match(run.stdout, /1 scenario: 1 passed/);
    await Deno.remove(`${dir}/pyrepl3.yaml`);
    const without = await runCli([`${dir}/scenarios/`], { cwd: "/" });
    equal(without.code, 1);
    match(without.stdout, /ModuleNotFoundError/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setup steps run first in main, are reported as setup, and a failing one fails the scenario", async () => {
  const dir = await tree({
    "pyrepl3.yaml": "setup:\n  - exec: greeting = 'hi'\n",
    "a/b/t.yaml": "steps:\n  - exec: greeting\n    expect: { value: hi }\n",
  });
  try {
    const report = await runScenarios([`${dir}/a`]);
    equal(report.passed, 1, JSON.stringify(report.scenarios[0]));
    deepStrictEqual(report.scenarios[0].setup?.map((s) => s.label), ["setup: greeting = 'hi'"]);
    await Deno.writeTextFile(`${dir}/pyrepl3.yaml`, "setup:\n  - exec: 1 / 0\n");
    const failed = await runScenarios([`${dir}/a`]);
    equal(failed.failed, 1);
    const step = failed.scenarios[0].steps[0];
    match(
      step.error ?? "",
      /^setup step 1 of .*pyrepl3\.yaml:2:5 \(setup: 1 \/ 0\) failed: .*ZeroDivisionError/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scenario keys override the config's, env merges, and paths resolve from the file stating them", async () => {
  const dir = await tree({
    "pyrepl3.yaml":
      "python: venv/bin/python\ncwd: .\nenv: { A: config, B: config }\ntimeout: 7s\nhash_seed: 9\n",
    "s/one.yaml": "env: { B: scenario }\ncwd: here\nsteps:\n  - exec: x = 1\n",
    "s/two.yaml": "python: ../py/python3\nhash_seed: 2\ntimeout: 1s\nsteps:\n  - exec: x = 1\n",
  });
  try {
    const one = await loadScenario(`${dir}/s/one.yaml`);
    equal(one.python, `${dir}/venv/bin/python`);
    equal(one.cwd, `${dir}/s/here`);
    deepStrictEqual(one.env, { A: "config", B: "scenario" });
    equal(one.timeoutMs, 7000);
    match(one.timeoutSource ?? "", /^the config file's timeout: \(.*pyrepl3\.yaml:4\)$/);
    equal(one.hashSeed, 9);
    const two = await loadScenario(`${dir}/s/two.yaml`);
    equal(two.python, `${dir}/py/python3`);
    equal(two.cwd, dir);
    equal(two.hashSeed, 2);
    equal(two.timeoutMs, 1000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a relative python: in a scenario file resolves from the file, not the shell's directory", async () => {
  const dir = await tree({ "s/t.yaml": "python: ./bin/python\nsteps:\n  - exec: x = 1\n" });
  try {
    equal((await loadScenario(`${dir}/s/t.yaml`)).python, `${dir}/s/bin/python`);
    const bare = await tree({ "t.yaml": "python: python3\nsteps:\n  - exec: x = 1\n" });
    equal((await loadScenario(`${bare}/t.yaml`)).python, "python3");
    await Deno.remove(bare, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the search for pyrepl3.yaml stops at a directory holding .git", async () => {
  const dir = await tree({
    "pyrepl3.yaml": "env: { OUTER: '1' }\n",
    "repo/.git/HEAD": "ref: refs/heads/main\n",
    "repo/s/t.yaml": "steps:\n  - exec: x = 1\n",
  });
  try {
    equal((await loadScenario(`${dir}/repo/s/t.yaml`)).env, undefined);
    await Deno.writeTextFile(`${dir}/repo/pyrepl3.yaml`, "env: { INNER: '1' }\n");
    deepStrictEqual((await loadScenario(`${dir}/repo/s/t.yaml`)).env, { INNER: "1" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an invalid pyrepl3.yaml is reported once at file:line with a did-you-mean, and nothing runs", async () => {
  const dir = await tree({
    "pyrepl3.yaml": "cwd: .\ntimout: 5s\nsetup:\n  - exce: 1\n",
    "s/a.yaml": "steps:\n  - exec: x = 1\n",
    "s/b.yaml": "steps:\n  - exec: x = 1\n",
  });
  try {
    const run = await runCli([`${dir}/s`]);
    equal(run.code, 2);
    const lines = run.stderr.trim().split("\n");
    equal(lines.length, 2, run.stderr);
    match(lines[0], /pyrepl3\.yaml:2:1: unknown key 'timout' \(did you mean 'timeout'\?\)/);
    match(lines[1], /pyrepl3\.yaml:4:5: unknown key 'exce'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a directory run does not take pyrepl3.yaml for a scenario", async () => {
  const dir = await tree({ "pyrepl3.yaml": "cwd: .\n", "t.yaml": "steps:\n  - exec: x = 1\n" });
  try {
    const run = await runCli([dir, "--list"]);
    equal(run.code, 0, run.stderr);
    ok(!run.stdout.includes("pyrepl3.yaml"), run.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a timeout set in pyrepl3.yaml is named in the timeout message", async () => {
  const dir = await tree({
    "pyrepl3.yaml": "timeout: 300ms\n",
    "t.yaml": "steps:\n  - exec: import time; time.sleep(5)\n",
  });
  try {
    const report = await runScenarios([dir]);
    const failure = report.scenarios[0].steps[0].failures.find((f) => f.key === "status");
    match(
      failure?.message ?? "",
      /the limit was 300ms, set by the config file's timeout: \(.*pyrepl3\.yaml:1\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
