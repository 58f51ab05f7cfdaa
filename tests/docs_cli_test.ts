/**
 * Documents through the CLI: the reporters give each example's document line (JSON step `line`,
 * JUnit `line`, pretty `file:line`), and `--docs`, `--list`, `--filter`, `--shard`, `--jobs`,
 * `--doctest-options` and `--doctest-modules` work with them.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

const PY = ["--python", TEST_PYTHON];

async function project(): Promise<string> {
  return await tempScenarios({
    "a.yaml": "name: a\nsteps:\n  - exec: x = 1\n",
    "b.md": "# B\n\n```pycon\n>>> 1 + 1\n2\n>>> 'b'\n'wrong'\n```\n",
    "c.rst": "C\n=\n\n    >>> print('c')\n    c\n",
    "d.txt": ">>> list(range(9))\n[0, 1, ..., 8]\n",
  });
}

Deno.test("reporters give the line of the example's >>> in the document", async () => {
  const dir = await project();
  const json = await runCli([`${dir}/b.md`, "--reporter", "json", ...PY]);
  equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  deepStrictEqual(
    report.scenarios[0].steps.map((s: { line: number; status: string }) => [s.line, s.status]),
    [[4, "passed"], [6, "failed"]],
  );
  const pretty = await runCli([`${dir}/b.md`, "--reporter", "pretty", ...PY]);
  match(pretty.stdout, new RegExp(`${dir}/b\\.md:6:1 step 2`));
  match(pretty.stdout, /Expected:\n\s+'wrong'\n\s+Got:\n\s+'b'/);
  const junit = await runCli([`${dir}/b.md`, "--reporter", "junit", ...PY]);
  match(junit.stdout, /<testcase name="b.md"[^>]* line="6"/);
});

Deno.test("--docs, --list, --filter, --shard and --jobs with documents", async () => {
  const dir = await project();
  const list = async (...args: string[]) =>
    (await runCli([dir, "--list", ...PY, ...args])).stdout.trim().split("\n").map((l) =>
      l.split(/\s+/)[0]
    );
  deepStrictEqual(await list(), ["a"]);
  deepStrictEqual(await list("--docs"), ["a", "b.md", "c.rst", "d.txt"]);
  deepStrictEqual(await list("--docs", "--filter", "\\.rst$"), ["c.rst"]);
  const shards = [
    ...await list("--docs", "--shard", "1/2"),
    ...await list("--docs", "--shard", "2/2"),
  ];
  deepStrictEqual(shards.sort(), ["a", "b.md", "c.rst", "d.txt"]);
  const run = await runCli([
    dir,
    "--docs",
    "--jobs",
    "3",
    "--doctest-options",
    "ELLIPSIS",
    "--reporter",
    "json",
    ...PY,
  ]);
  const report = JSON.parse(run.stdout);
  deepStrictEqual(
    report.scenarios.map((s: { name: string; status: string }) => [s.name, s.status]),
    [["a", "passed"], ["b.md", "failed"], ["c.rst", "passed"], ["d.txt", "passed"]],
  );
});

Deno.test("bad document options are usage errors; a module needs --doctest-modules", async () => {
  const dir = await project();
  await Deno.writeTextFile(`${dir}/m.py`, '"""\n>>> 1\n1\n"""\n');
  const unknown = await runCli([`${dir}/b.md`, "--doctest-options", "ELIPSIS", ...PY]);
  equal(unknown.code, 2);
  match(unknown.stderr, /unknown doctest option "ELIPSIS"/);
  const module = await runCli([`${dir}/m.py`, ...PY]);
  equal(module.code, 2);
  match(module.stderr, /give --doctest-modules/);
  const modules = await runCli([`${dir}/m.py`, "--doctest-modules", ...PY]);
  equal(modules.code, 0, modules.stdout + modules.stderr);
  await Deno.writeTextFile(`${dir}/pyrepl3.yaml`, "doctest_options: [ELIPSIS]\n");
  const config = await runCli([`${dir}/b.md`, ...PY]);
  equal(config.code, 2);
  ok(config.stderr.includes("pyrepl3.yaml"), config.stderr);
});

Deno.test("--doctest-modules imports a module once for all its docstrings, as doctest does, not once per docstring", async () => {
  const docstrings = Array.from(
    { length: 6 },
    (_, i) => `def f${i}():\n    """\n    >>> f${i}()\n    ${i}\n    """\n    return ${i}\n`,
  ).join("\n");
  const dir = await tempScenarios({
    "counted.py":
      `import os\nwith open(os.environ["IMPORTS"], "a") as f:\n    f.write("x")\n\n${docstrings}`,
  });
  const imports = `${dir}/imports.txt`;
  const run = await runCli([`${dir}/counted.py`, "--doctest-modules", "--jobs", "1", ...PY], {
    env: { IMPORTS: imports },
  });
  equal(run.code, 0, run.stdout + run.stderr);
  match(run.stdout, /6 scenarios: 6 passed/);
  // Once to find the examples, once in the sessions' template: not once per docstring.
  ok((await Deno.readTextFile(imports)).length <= 2, await Deno.readTextFile(imports));
  await Deno.remove(dir, { recursive: true });
});
