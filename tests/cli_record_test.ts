import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "yaml";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

const ENTRIES = [
  "x = 21",
  "x * 2",
  "for i in range(2):",
  "    print(i)",
  "",
  'name = input("Name: ")',
  "Bob",
  "1/0",
  "quit",
  "print('never runs')",
].join("\n") + "\n";

Deno.test("record turns piped entries into exec steps that expect what came back", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/my_session.yaml`;
  const run = await runCli(["record", file], { stdin: ENTRIES });
  equal(run.code, 0, run.stderr);
  match(run.stdout, /^42\n0\n1\nName: $/);
  match(run.stderr, /ZeroDivisionError/);
  match(run.stderr, /wrote 5 steps/);
  deepStrictEqual(parse(await Deno.readTextFile(file)), {
    name: "my_session",
    steps: [
      { exec: "x = 21" },
      { exec: "x * 2", expect: { value: 42 } },
      { exec: "for i in range(2):\n    print(i)", expect: { stdout: "0\n1\n" } },
      {
        exec: 'name = input("Name: ")',
        inputs: [{ prompt: "Name: ", reply: "Bob" }],
        expect: { stdout: "Name: " },
      },
      { exec: "1/0", expect: { error: "ZeroDivisionError" } },
    ],
  });
  const replay = await runCli([file]);
  equal(replay.code, 0, replay.stdout);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record replays an existing file, then appends to it keeping its comments", async () => {
  const dir = await tempScenarios({
    "s.yaml": "# keep me\nname: existing\nsteps:\n  - exec: y = 5 # five\n",
  });
  const run = await runCli(["record", `${dir}/s.yaml`], { stdin: "y + 1\n" });
  equal(run.code, 0, run.stderr);
  const text = await Deno.readTextFile(`${dir}/s.yaml`);
  ok(text.startsWith("# keep me\nname: existing\nsteps:\n  - exec: y = 5 # five\n"), text);
  deepStrictEqual(parse(text).steps[1], { exec: "y + 1", expect: { value: 6 } });
  match(run.stderr, /replayed 1 step of/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record with nothing entered leaves no file", async () => {
  const dir = await tempScenarios({});
  const run = await runCli(["record", `${dir}/none.yaml`], { stdin: "\nexit\n" });
  equal(run.code, 0);
  match(run.stderr, /nothing recorded/);
  ok(!(await Deno.stat(`${dir}/none.yaml`).then(() => true, () => false)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record replays the file through the scenario runner: checkpoints, named sessions, env", async () => {
  const dir = await tempScenarios({
    "s.yaml": [
      "env: { GREETING: hello }",
      "steps:",
      "  - exec: x = 1",
      "  - checkpoint: one",
      "  - exec: x = 2",
      "  - restore: one",
      "  - exec: y = 10",
      "    session: other",
      "",
    ].join("\n"),
  });
  const entries = "x\n'y' in globals()\nimport os; os.environ['GREETING']\n";
  const run = await runCli(["record", `${dir}/s.yaml`], { stdin: entries });
  equal(run.code, 0, run.stderr);
  match(run.stderr, /replayed 5 steps of/);
  deepStrictEqual(parse(await Deno.readTextFile(`${dir}/s.yaml`)).steps.slice(5), [
    { exec: "x", expect: { value: 1 } },
    { exec: "'y' in globals()", expect: { value: false } },
    { exec: "import os; os.environ['GREETING']", expect: { value: "hello" } },
  ]);
  equal((await runCli([`${dir}/s.yaml`])).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record says which step of the file did not replay as written, and goes on", async () => {
  const dir = await tempScenarios({
    "s.yaml": "steps:\n  - exec: z = 3\n  - exec: z\n    expect: { value: 4 }\n  - exec: z += 1\n",
  });
  const run = await runCli(["record", `${dir}/s.yaml`], { stdin: "z\n" });
  match(run.stderr, /step 2 of \S+s\.yaml did not replay as written: value differs\n/);
  // The file written is replayed at the end, and its old failing step is named again.
  equal(run.code, 1, run.stderr);
  match(run.stderr, /replayed \S+s\.yaml: step 2 \(z\) fails: value differs/);
  // The failed step did not stop the replay: `z += 1` ran too.
  deepStrictEqual(parse(await Deno.readTextFile(`${dir}/s.yaml`)).steps[3], {
    exec: "z",
    expect: { value: 4 },
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record expects what the code wrote to stderr, as --update does", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/err.yaml`;
  const run = await runCli(["record", file], {
    stdin: "import sys; sys.stderr.write('careful\\n')\n",
  });
  equal(run.code, 0, run.stderr);
  deepStrictEqual(parse(await Deno.readTextFile(file)).steps, [{
    exec: "import sys; sys.stderr.write('careful\\n')",
    expect: { stderr: "careful\n", value: 8 },
  }]);
  equal((await runCli([file])).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record writes a getpass reply as reply_env, never in clear, read at run time", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/secret.yaml`;
  const run = await runCli(["record", file], {
    stdin: "import getpass; s = getpass.getpass()\nhunter2\nlen(s)\n",
  });
  equal(run.code, 0, run.stderr);
  match(run.stderr, /set PYREPL3_SECRET_PASSWORD to run it/);
  match(run.stderr, /it passes/);
  const text = await Deno.readTextFile(file);
  ok(!text.includes("hunter2"), text);
  deepStrictEqual(parse(text).steps[0].inputs, [
    { prompt: "Password: ", reply_env: "PYREPL3_SECRET_PASSWORD" },
  ]);
  const unset = await runCli([file]);
  equal(unset.code, 1);
  match(unset.stdout, /PYREPL3_SECRET_PASSWORD, which is not set/);
  const set = await runCli([file], { env: { PYREPL3_SECRET_PASSWORD: "hunter2" } });
  equal(set.code, 0, set.stdout);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record --cwd --env --hash-seed writes them into the file, so it replays as recorded", async () => {
  const dir = await tempScenarios({});
  await Deno.mkdir(`${dir}/work`);
  await Deno.writeTextFile(`${dir}/work/helper.py`, "ANSWER = 42\n");
  const file = `${dir}/s.yaml`;
  const run = await runCli(
    ["record", file, "--cwd", `${dir}/work`, "--env", "MODE=test", "--hash-seed", "7"],
    { stdin: "import helper, os\nhelper.ANSWER, os.environ['MODE']\n" },
  );
  equal(run.code, 0, run.stderr);
  match(run.stderr, /it passes/);
  const data = parse(await Deno.readTextFile(file));
  deepStrictEqual([data.cwd, data.env, data.hash_seed], ["work", { MODE: "test" }, 7]);
  deepStrictEqual(data.steps[1].expect, { value: [42, "test"] });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record's : commands: checkpoint, restore, rollback, undo, help, quit", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/cmds.yaml`;
  const stdin = [
    "x = 1",
    ":checkpoint one",
    "x = 2",
    ":rollback",
    "x = 99",
    "x",
    ":restore one",
    "x",
    ":undo",
    ":help",
    ":bogus",
    ":quit",
    "print('never runs')",
  ].join("\n") + "\n";
  const run = await runCli(["record", file], { stdin });
  equal(run.code, 0, run.stderr);
  match(run.stdout, /:checkpoint NAME/);
  match(run.stderr, /unknown command :bogus/);
  deepStrictEqual(parse(await Deno.readTextFile(file)).steps, [
    { exec: "x = 1" },
    { checkpoint: "one" },
    { exec: "x = 2" },
    { exec: "x = 99", transaction: "rollback_always" },
    { exec: "x", expect: { value: 2 } },
    { restore: "one" },
  ]);
  match(run.stderr, /it passes/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record of a new file runs under the project's pyrepl3.yaml, as a run of it will", async () => {
  const dir = await tempScenarios({ "pyrepl3.yaml": "env: { GREETING: hi }\n" });
  const file = `${dir}/greet.yaml`;
  const run = await runCli(["record", file], {
    stdin: "import os; os.environ.get('GREETING')\n",
  });
  equal(run.code, 0, run.stderr);
  deepStrictEqual(parse(await Deno.readTextFile(file)).steps, [
    { exec: "import os; os.environ.get('GREETING')", expect: { value: "hi" } },
  ]);
  match(run.stderr, /it passes/);
  await Deno.remove(dir, { recursive: true });
});
