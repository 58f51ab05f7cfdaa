/**
 * Notebooks through the CLI: named paths always run, directories only with `--docs`, the JSON
 * report points into the `.ipynb`, `--nb-sanitize`, `--update`, and a refused kernel's exit code.
 */
import { equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

const FIXTURES = new URL("./fixtures/notebooks/", import.meta.url).pathname;

async function fixture(name: string): Promise<string> {
  return await Deno.readTextFile(`${FIXTURES}${name}`);
}

const SCENARIO = "name: plain\nsteps:\n  - exec: print('hi')\n    expect: { stdout: \"hi\\n\" }\n";

Deno.test("cli: a named notebook runs; a directory's notebooks only with --docs", async () => {
  const dir = await tempScenarios({
    "basic.ipynb": await fixture("basic.ipynb"),
    "plain.yaml": SCENARIO,
  });
  try {
    const named = await runCli([`${dir}/basic.ipynb`, "--python", TEST_PYTHON]);
    equal(named.code, 0, named.stdout + named.stderr);
    match(named.stdout, /1 scenario: 1 passed/);
    const plain = await runCli([dir, "--python", TEST_PYTHON, "--list"]);
    equal(plain.stdout.trim().split("\n").length, 1, plain.stdout);
    const docs = await runCli([dir, "--docs", "--python", TEST_PYTHON]);
    equal(docs.code, 0, docs.stdout + docs.stderr);
    match(docs.stdout, /2 scenarios: 2 passed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a failing cell is reported at its line in the .ipynb; the rest still run", async () => {
  const text = (await fixture("basic.ipynb")).replace('"42"', '"41"');
  const dir = await tempScenarios({ "basic.ipynb": text });
  try {
    const run = await runCli([
      `${dir}/basic.ipynb`,
      "--python",
      TEST_PYTHON,
      "--reporter",
      "json",
    ]);
    equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    const steps = report.scenarios[0].steps;
    const failed = steps.filter((s: { status: string }) => s.status === "failed");
    equal(failed.length, 1);
    equal(failed[0].failures[0].expected, "41");
    // The line holds the cell's source in the notebook's JSON.
    match(text.split("\n")[failed[0].line - 1], /"x \* 2"/);
    // Cells after the failed one ran, as nbval runs every cell.
    equal(steps.filter((s: { status: string }) => s.status === "passed").length, 7);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --update rewrites the notebook's stale outputs, --nb-sanitize applies", async () => {
  const original = await fixture("basic.ipynb");
  const dir = await tempScenarios({
    "basic.ipynb": original.replace('"hello\\n",', '"stale\\n",'),
    "sanitize.ipynb": await fixture("sanitize.ipynb"),
  });
  try {
    const update = await runCli([`${dir}/basic.ipynb`, "--update", "--python", TEST_PYTHON]);
    equal(update.code, 0, update.stdout + update.stderr);
    equal(await Deno.readTextFile(`${dir}/basic.ipynb`), original);
    const raw = await runCli([`${dir}/sanitize.ipynb`, "--python", TEST_PYTHON]);
    equal(raw.code, 1);
    const sanitized = await runCli([
      `${dir}/sanitize.ipynb`,
      "--nb-sanitize",
      "--python",
      TEST_PYTHON,
    ]);
    equal(sanitized.code, 0, sanitized.stdout + sanitized.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a notebook of another kernel is refused with exit code 2, nothing run", async () => {
  const dir = await tempScenarios({ "r.ipynb": await fixture("kernel_r.ipynb") });
  try {
    const run = await runCli([`${dir}/r.ipynb`, "--python", TEST_PYTHON]);
    equal(run.code, 2);
    match(run.stderr, /r\.ipynb:\d+:\d+: the notebook's kernel is not Python/);
    ok(!run.stderr.includes("    at "), "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --help names the notebook flags", async () => {
  const run = await runCli(["--help"]);
  match(run.stdout, /--nb-sanitize/);
  match(run.stdout, /--nb-images/);
});

Deno.test("cli: the project's pyrepl3.yaml applies to notebooks (env, setup steps)", async () => {
  const cell = (source: string, stdout: string) => ({
    cell_type: "code",
    execution_count: 1,
    metadata: {},
    outputs: [{ name: "stdout", output_type: "stream", text: [stdout] }],
    source: [source],
  });
  const notebook = {
    cells: [cell("import os\nprint(os.environ['GREETING'], base)", "hello 40\n")],
    metadata: { kernelspec: { language: "python", name: "python3" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const dir = await tempScenarios({
    "pyrepl3.yaml": "env: { GREETING: hello }\nsetup:\n  - exec: base = 40\n",
    "nb.ipynb": JSON.stringify(notebook, null, 1) + "\n",
  });
  try {
    const run = await runCli([`${dir}/nb.ipynb`, "--python", TEST_PYTHON]);
    equal(run.code, 0, run.stdout + run.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
