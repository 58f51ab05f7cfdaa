/**
 * Never green by accident: a run that selects nothing fails unless `--pass-with-no-tests`, and
 * `--update` is refused in CI and never writes while any file is invalid.
 */
import { equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

const PASS = `name: adds numbers
tags: [math]
steps:
  - exec: 1 + 1
    expect: { value: 2 }
`;
const WRONG = `name: wrong value
steps:
  - exec: 1 + 1
    expect: { value: 3 }
`;

function fourFiles(): Promise<string> {
  return tempScenarios({ "a.yaml": PASS, "b.yaml": PASS, "c.yaml": PASS, "d.yaml": PASS });
}

Deno.test("an empty directory exits 1 saying no scenario file was found", async () => {
  const dir = await tempScenarios({});
  const run = await runCli([dir]);
  equal(run.code, 1, run.stderr);
  match(run.stderr, /no scenarios to run: no scenario file .* found in /);
  match(run.stderr, /--pass-with-no-tests/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--tag that no scenario has exits 1 and names the tag", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS });
  const run = await runCli([dir, "--tag", "nope"]);
  equal(run.code, 1, run.stderr);
  match(run.stderr, /--tag nope selected none of the 1 scenario in /);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--shard 5/5 of 4 files exits 1 and names the shard", async () => {
  const dir = await fourFiles();
  const run = await runCli([dir, "--shard", "5/5"]);
  equal(run.code, 1, run.stderr);
  match(run.stderr, /--shard 5\/5 selected none of the 4 scenarios/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a glob matching nothing exits non-zero with one line", async () => {
  const dir = await tempScenarios({ "pass.yaml": PASS });
  const run = await runCli([`${dir}/*.yml`]);
  ok(run.code !== 0);
  match(run.stderr, /no scenario file matches/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--pass-with-no-tests lets an empty selection exit 0", async () => {
  const dir = await fourFiles();
  const run = await runCli([dir, "--shard", "5/5", "--pass-with-no-tests"]);
  equal(run.code, 0, run.stderr);
  match(run.stdout, /0 scenarios/);
  const empty = await runCli([dir, "--tag", "nope", "--pass-with-no-tests", "--list"]);
  equal(empty.code, 0, empty.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--ci refuses --update with exit 2 and leaves the file alone", async () => {
  const dir = await tempScenarios({ "wrong.yaml": WRONG });
  const run = await runCli([dir, "--update", "--ci"]);
  equal(run.code, 2);
  match(run.stderr, /--update rewrites scenario files, which a CI run must not do \(--ci/);
  equal(await Deno.readTextFile(`${dir}/wrong.yaml`), WRONG);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a truthy CI variable refuses --update; CI=false does not", async () => {
  const dir = await tempScenarios({ "wrong.yaml": WRONG });
  const refused = await runCli([dir, "--update"], { env: { CI: "true" } });
  equal(refused.code, 2);
  match(refused.stderr, /CI=true is set/);
  equal(await Deno.readTextFile(`${dir}/wrong.yaml`), WRONG);
  const allowed = await runCli([dir, "--update"], { env: { CI: "false" } });
  equal(allowed.code, 0, allowed.stderr + allowed.stdout);
  match(await Deno.readTextFile(`${dir}/wrong.yaml`), /value: 2/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--update writes nothing when any file is invalid (exit 2)", async () => {
  const dir = await tempScenarios({
    "wrong.yaml": WRONG,
    "zbroken.yaml": "steps:\n  - exce: 1\n",
  });
  const run = await runCli([dir, "--update"]);
  equal(run.code, 2);
  match(run.stderr, /zbroken\.yaml:2:5: unknown key 'exce'/);
  equal(await Deno.readTextFile(`${dir}/wrong.yaml`), WRONG);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a named document without examples exits 1 saying it holds none", async () => {
  const dir = await tempScenarios({ "notes.md": "# Notes\n\n```python\nx = 1\n```\n" });
  const run = await runCli([`${dir}/notes.md`]);
  equal(run.code, 1, run.stderr);
  match(run.stderr, /no scenarios to run: .*notes\.md holds no >>> example to run/);
  await Deno.remove(dir, { recursive: true });
});
