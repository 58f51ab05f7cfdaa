/**
 * `record` (issue 14) held to its words by an outsider: Ctrl-C and Ctrl-D behave as in python3 at
 * every moment, and what cannot replay is not written. Each test failed before its fix:
 * - a Ctrl-C typed as soon as `... ` showed was lost (the prompt was drawn before raw mode);
 * - Ctrl-D at an input() prompt ended the recording (python3 raises EOFError and goes on);
 * - Ctrl-C at an input() prompt was recorded, and the replay failed (no reply left);
 * - a second Ctrl-C did nothing, and code that caught the first was recorded without it;
 * - an entry stopped by `--timeout` replayed under the default 30 s and failed;
 * - the interpreter dying (os._exit) lost every step recorded before it;
 * - `record notes.txt` wrote a file no run takes as a scenario, and said "it passes".
 */
import { equal, match, ok } from "node:assert/strict";
import { parse } from "yaml";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { CTRL_C, CTRL_D, driveCli, type Key } from "./_helpers/record_pty.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";
import { parseDuration } from "../lib/scenario/duration.ts";

/** Records `keys` at a terminal into a new file; returns the screen and the file's steps. */
async function recordAtTerminal(keys: Key[]) {
  const dir = await tempScenarios({});
  try {
    const file = `${dir}/s.yaml`;
    const run = await driveCli(keys, ["record", file, "--python", TEST_PYTHON], {
      PYREPL3_HISTORY: `${dir}/history`,
    });
    equal(run.error, undefined, run.screen);
    equal(run.code, 0, run.screen);
    const steps = (parse(await Deno.readTextFile(file)) as { steps: Record<string, unknown>[] })
      .steps;
    const replay = await runCli([file, "--python", TEST_PYTHON]);
    equal(replay.code, 0, replay.stdout + replay.stderr);
    return { screen: run.screen, steps };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("record: Ctrl-C typed the moment the ... prompt shows drops the entry, as in python3", async () => {
  const { screen, steps } = await recordAtTerminal([
    { expect: ">>> " },
    { send: "@staticmethod\r" },
    { expect: "... " },
    { send: CTRL_C },
    { expect: "KeyboardInterrupt\r\n", timeout: 20 },
    { expect: ">>> " },
    { send: "1 + 1\r" },
    { expect: "2\r\n" },
    { expect: ">>> " },
    { send: CTRL_D },
    { expect: "it passes" },
  ]);
  ok(!screen.includes("Traceback"), screen);
  equal(steps.length, 1);
  equal(steps[0].exec, "1 + 1");
});

Deno.test("record: Enter and Ctrl-C in one keystroke burst stop the entry, never let it run on", async () => {
  const { steps } = await recordAtTerminal([
    { expect: ">>> " },
    { send: "c = 3\r" },
    { expect: ">>> " },
    // Before, the Ctrl-C reached the terminal in raw mode: kept as typed ahead, the sleep ran on.
    { send: "import time; time.sleep(30)\r" + CTRL_C },
    { expect: "KeyboardInterrupt\r\n", timeout: 20 },
    { expect: ">>> " },
    { send: CTRL_D },
    { expect: "it passes" },
  ]);
  equal(steps[0].exec, "c = 3");
  // Dropped before it ran, or interrupted and recorded so: never a 30 s sleep expected to pass.
  ok(steps.length === 1 || steps[1].interrupt_after !== undefined, JSON.stringify(steps));
});

Deno.test("record: Ctrl-D at input() is EOFError in the code and the prompt goes on", async () => {
  const { steps } = await recordAtTerminal([
    { expect: ">>> " },
    { send: 'x = input("Q? ")\r' },
    { expect: "Q? " },
    { send: CTRL_D },
    { expect: "EOFError" },
    { expect: ">>> ", timeout: 20 },
    { send: "'still here'\r" },
    { expect: "'still here'\r\n" },
    { expect: ">>> " },
    { send: CTRL_D },
    { expect: "it passes" },
  ]);
  equal(steps.length, 2);
  equal(JSON.stringify(steps[0].inputs), '[{"eof":true}]');
  equal((steps[0].expect as { error: string }).error, "EOFError");
  equal(steps[1].exec, "'still here'");
});

Deno.test("record: Ctrl-C at input() interrupts the code and is not recorded, with a note", async () => {
  const { screen, steps } = await recordAtTerminal([
    { expect: ">>> " },
    { send: "a = 1\r" },
    { expect: ">>> " },
    { send: 'x = input("Q? ")\r' },
    { expect: "Q? " },
    { send: "half typed" },
    { expect: "half typed" },
    { send: CTRL_C },
    { expect: "KeyboardInterrupt" },
    { expect: ">>> " },
    { send: CTRL_D },
    { expect: "it passes" },
  ]);
  match(screen, /not recorded: Ctrl-C answered an input prompt/);
  equal(steps.length, 1);
  equal(steps[0].exec, "a = 1");
});

/** Prints go, sleeps; prints caught at Ctrl-C, twice (output text never in the echoed code). */
const CATCHING_LOOP = [
  "for i in range(2):\r",
  "  try:\r",
  "    import time; print('g' 'o', flush=True); time.sleep(30)\r",
  "  except KeyboardInterrupt: print('cau' 'ght', flush=True)\r",
  "\r",
];

Deno.test("record: code that catches Ctrl-C is recorded with interrupt_after and replays green", async () => {
  const { steps } = await recordAtTerminal([
    { expect: ">>> " },
    { send: "try:\r" },
    { expect: "... " },
    { send: "  import time; print('g' 'o', flush=True); time.sleep(30)\r" },
    { expect: "... " },
    { send: "except KeyboardInterrupt: print('cau' 'ght')\r" },
    { expect: "... " },
    { send: "\r" },
    { expect: "go\r\n" },
    { send: CTRL_C },
    { expect: "caught\r\n" },
    { expect: ">>> " },
    { send: CTRL_D },
    { expect: "it passes" },
  ]);
  equal(steps.length, 1);
  match(String(steps[0].interrupt_after), /^\d+(\.\d+)?m?s$/);
  equal(JSON.stringify(steps[0].expect), '{"stdout":"go\\ncaught\\n"}');
});

Deno.test("record: every Ctrl-C interrupts, and an entry interrupted twice is not recorded", async () => {
  const { screen, steps } = await recordAtTerminal([
    { expect: ">>> " },
    { send: "b = 2\r" },
    { expect: ">>> " },
    ...CATCHING_LOOP.map((line) => ({ send: line })),
    { expect: "go\r\n" },
    { send: CTRL_C },
    { expect: "caught\r\n" },
    { expect: "go\r\n" },
    { send: CTRL_C },
    // Before, the second Ctrl-C did nothing: the sleep ran its 30 s.
    { expect: "caught\r\n", timeout: 20 },
    { expect: ">>> " },
    { send: CTRL_D },
    { expect: "it passes" },
  ]);
  match(screen, /not recorded: Ctrl-C was pressed 2 times while it ran/);
  equal(steps.length, 1);
  equal(steps[0].exec, "b = 2");
});

Deno.test("record: an entry stopped by --timeout is written with that timeout and replays green", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/t.yaml`;
  const run = await runCli(["record", file, "--timeout", "1s", "--python", TEST_PYTHON], {
    stdin: "import time\ntime.sleep(20); print('done')\n",
  });
  equal(run.code, 0, run.stderr);
  match(run.stderr, /it passes/);
  const { steps } = parse(await Deno.readTextFile(file));
  equal(steps[1].timeout, "1s");
  equal(steps[1].expect.status, "timeout");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record: the interpreter dying ends the recording and keeps the steps before it", async () => {
  const dir = await tempScenarios({});
  for (
    const [death, said] of [
      ["import os; os._exit(3)", /not recorded: the interpreter died \(exit code 3\)/],
      // Dies while Python decides whether the next entry is whole, between entries.
      [
        "import codeop, os; codeop.compile_command = lambda *a, **k: os._exit(5)",
        /the interpreter died between entries/,
      ],
    ] as const
  ) {
    const file = `${dir}/d.yaml`;
    const run = await runCli(["record", file, "--python", TEST_PYTHON], {
      stdin: `x = 1\n${death}\nx + 1\n`,
    });
    equal(run.code, 0, run.stderr);
    match(run.stderr, said);
    const { steps } = parse(await Deno.readTextFile(file));
    equal(steps[0].exec, "x = 1");
    ok(!steps.some((s: { exec: string }) => s.exec === "x + 1"), JSON.stringify(steps));
    await Deno.remove(file);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record refuses, before the prompt, a file no run would take as a scenario", async () => {
  const dir = await tempScenarios({});
  const cases: [string[], RegExp][] = [
    [[`${dir}/notes.txt`], /must end in \.yaml, \.yml or \.json/],
    [[`${dir}/pyrepl3.yaml`], /not be the project config file/],
    [[`${dir}/missing/s.yaml`], /missing is no directory/],
    [[`${dir}/s.yaml`, "--cwd", `${dir}/nowhere`], /--cwd .*nowhere: no such directory/],
    [[`${dir}/s.yaml`, "--python", `${dir}/no-python`], /--python .*no-python: not a usable/],
  ];
  for (const [args, said] of cases) {
    const run = await runCli(["record", ...args], { stdin: "x = 1\n" });
    equal(run.code, 2, run.stderr);
    match(run.stderr, said);
    ok(!run.stderr.includes("    at "), run.stderr); // one line, no stack
  }
  const left = [];
  for await (const entry of Deno.readDir(dir)) left.push(entry.name);
  equal(left.length, 0, left.join(" "));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record: Ctrl-C while an existing file replays stops (130), the terminal as it was", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/long.yaml`;
  const started = `${dir}/started`;
  const step = `open(${JSON.stringify(started)}, "w").close(); import time; time.sleep(30)`;
  await Deno.writeTextFile(file, `name: long\nsteps:\n  - exec: ${JSON.stringify(step)}\n`);
  const before = await Deno.readTextFile(file);
  // Before, the terminal was put in cbreak mode first: Ctrl-C killed record and left it so.
  const run = await driveCli(
    [
      { wait_file: started },
      { send: CTRL_C },
      { expect: "nothing recorded", timeout: 20 },
    ],
    ["record", file, "--python", TEST_PYTHON],
    { PYREPL3_HISTORY: `${dir}/history` },
  );
  equal(run.error, undefined, run.screen);
  equal(run.code, 130, run.screen);
  equal(run.echo, true);
  equal(run.canonical, true);
  equal(await Deno.readTextFile(file), before);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record: SIGTERM at the prompt exits 143 with the terminal out of raw mode", async () => {
  const dir = await tempScenarios({});
  const run = await driveCli(
    [
      { expect: ">>> " },
      { send: "x = 1\r" },
      { expect: ">>> " },
      { kill: "SIGTERM" },
    ],
    ["record", `${dir}/t.yaml`, "--python", TEST_PYTHON],
    { PYREPL3_HISTORY: `${dir}/h` },
  );
  equal(run.error, undefined, run.screen);
  equal(run.code, 143, run.screen);
  equal(run.echo, true);
  equal(run.canonical, true);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record: each password typed gets its own variable, and none shows in an expectation", async () => {
  const dir = await tempScenarios({
    // A file recorded before, whose password variable is not set now.
    "p.yaml": [
      "name: p",
      "steps:",
      "  - exec: import getpass; old = getpass.getpass()",
      "    inputs: [{ prompt: 'Password: ', reply_env: PYREPL3_SECRET_PASSWORD }]",
      "",
    ].join("\n"),
  });
  const file = `${dir}/p.yaml`;
  const run = await runCli(["record", file, "--python", TEST_PYTHON], {
    stdin: [
      "import getpass; a = getpass.getpass()",
      "hunter22",
      "b = getpass.getpass()",
      "swordfish",
      "c = getpass.getpass()",
      "hunter22",
      "a + b",
      "print(b); len(c)",
      "",
    ].join("\n"),
    env: { PYREPL3_SECRET_PASSWORD: "" },
  });
  equal(run.code, 0, run.stderr);
  const text = await Deno.readTextFile(file);
  ok(!/hunter22|swordfish/.test(text), text);
  // Before, all three read PYREPL3_SECRET_PASSWORD: the old step's, and the replay failed.
  const replies = [...text.matchAll(/reply_env: (\w+)/g)].map((m) => m[1]);
  equal(
    replies.join(" "),
    "PYREPL3_SECRET_PASSWORD PYREPL3_SECRET_PASSWORD_2 PYREPL3_SECRET_PASSWORD_3 " +
      "PYREPL3_SECRET_PASSWORD_2",
  );
  match(run.stderr, /left out of the step's expectations \(value\): they show a password/);
  match(run.stderr, /left out of the step's expectations \(stdout\): they show a password/);
  match(text, /exec: print\(b\); len\(c\)\n\s+expect:\n\s+value: 8\n/);
  ok(!run.stderr.includes("set PYREPL3_SECRET_PASSWORD "), run.stderr); // only the new ones
  match(run.stderr, /set PYREPL3_SECRET_PASSWORD_3 to run it/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record: Ctrl-C during :checkpoint interrupts the pickling, and nothing is recorded for it", async () => {
  const marks = await Deno.makeTempDir({ prefix: "pyrepl3_marks_" });
  const started = `${marks}/pickling`;
  try {
    const { screen, steps } = await recordAtTerminal([
      { expect: ">>> " },
      { send: "class Slow:\r" },
      { expect: "... " },
      { send: "  def __reduce__(self):\r" },
      { expect: "... " },
      {
        send: `    import time; open(${JSON.stringify(started)}, "w").close(); time.sleep(30)\r`,
      },
      { expect: "... " },
      { send: "\r" },
      { expect: ">>> " },
      { send: "s = Slow()\r" },
      { expect: ">>> " },
      { send: ":checkpoint a\r" },
      { wait_file: started },
      // Before, the Ctrl-C waited for the 30 s pickling, then cancelled the next prompt.
      { send: CTRL_C },
      { expect: "interrupted", timeout: 20 },
      { expect: ">>> " },
      { send: CTRL_D },
      { expect: "it passes" },
    ]);
    ok(!screen.includes("KeyboardInterrupt"), screen);
    equal(steps.length, 2);
    ok(!steps.some((step) => "checkpoint" in step), JSON.stringify(steps));
  } finally {
    await Deno.remove(marks, { recursive: true });
  }
});

Deno.test("record: a password an earlier step of the file read from its variable is not written either", async () => {
  const dir = await tempScenarios({
    "pin.yaml": [
      "name: pin",
      "steps:",
      `  - exec: "import getpass; pin = getpass.getpass('PIN: ')"`,
      "    inputs: [{ prompt: 'PIN: ', reply_env: PYREPL3_SECRET_PIN }]",
      "",
    ].join("\n"),
  });
  const file = `${dir}/pin.yaml`;
  const run = await runCli(["record", file, "--python", TEST_PYTHON], {
    stdin: "pin\nlen(pin)\n",
    env: { PYREPL3_SECRET_PIN: "90210" },
  });
  equal(run.code, 0, run.stderr);
  const text = await Deno.readTextFile(file);
  ok(!text.includes("90210"), text);
  match(text, /exec: pin\n\s+- exec: len\(pin\)\n\s+expect:\n\s+value: 5\n/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record appends to a file leaving every byte of it as it was, big integers exact", async () => {
  const yaml = [
    "# recorded by hand   ",
    "name: kept   # a comment",
    `python: ${JSON.stringify(TEST_PYTHON)}`,
    "steps:",
    "  - exec: 'big = 2**80 + 1'",
    "  - exec: big",
    "    expect: { value: 1208925819614629174706177 }   # exact",
    "  - exec: hex = 0x1F",
    "  - exec: hex",
    "    expect:",
    "      value: 0x1F",
    "env: {A: '1'}",
    "",
  ].join("\n");
  const json = JSON.stringify({ name: "j", python: TEST_PYTHON, steps: [{ exec: "2**80 + 1" }] })
    .replace(
      '"2**80 + 1"}',
      '"2**80 + 1", "expect": {"value": 1208925819614629174706177}}',
    );
  const dir = await tempScenarios({ "kept.yaml": yaml, "j.json": json });
  for (const name of ["kept.yaml", "j.json"]) {
    const run = await runCli(["record", `${dir}/${name}`, "--python", TEST_PYTHON], {
      stdin: "7 * 6\n",
    });
    equal(run.code, 0, run.stderr);
  }
  // Before, the file went through the yaml library: 1.2089258196146292e+24, 0x1f, { A: "1" }.
  equal(
    await Deno.readTextFile(`${dir}/kept.yaml`),
    yaml.replace("env:", "  - exec: 7 * 6\n    expect:\n      value: 42\nenv:"),
  );
  match(await Deno.readTextFile(`${dir}/j.json`), /"value": 1208925819614629174706177\n/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record keeps the steps when the file cannot be written at the end, saying where", async () => {
  const dir = await tempScenarios({ "s.yaml": "name: s\nsteps:\n  - exec: a = 1\n" });
  const file = `${dir}/s.yaml`;
  // The file is edited into something no longer YAML while recording: it is not written over.
  const run = await runCli(["record", file, "--python", TEST_PYTHON], {
    stdin: `b = 2\nopen(${JSON.stringify(file)}, "w").write("steps: [")\nb\n`,
  });
  equal(run.code, 2, run.stderr);
  const saved = /the 3 steps recorded are in (\S+)\n/.exec(run.stderr)?.[1];
  ok(saved, run.stderr);
  equal(await Deno.readTextFile(file), "steps: [");
  match(await Deno.readTextFile(saved), /- exec: b = 2\n[^]*- exec: b\n\s+expect:\n\s+value: 2\n/);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(saved.slice(0, saved.lastIndexOf("/")), { recursive: true });
});

Deno.test("record: :restore of a checkpoint :undo dropped is refused (the file would be invalid)", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/u.yaml`;
  const run = await runCli(["record", file, "--python", TEST_PYTHON], {
    stdin: "x = 1\n:checkpoint a\n:undo\n:restore a\n:checkpoint b\n:restore b\nx\n",
  });
  // Before, the file was written with `restore: a` and no checkpoint a: invalid, exit 2.
  equal(run.code, 0, run.stderr);
  match(run.stderr, /:restore a: no step of the file takes checkpoint "a"/);
  const { steps } = parse(await Deno.readTextFile(file));
  equal(JSON.stringify(steps.slice(1, 3)), '[{"checkpoint":"b"},{"restore":"b"}]');
  await Deno.remove(dir, { recursive: true });
});

/**
 * Records `entries` in a process of its own, with a person who takes `answerMs` to answer each
 * input() prompt ("answer") and, with `ctrlCAfter`, presses Ctrl-C (SIGINT) as soon as that text
 * shows. Returns the exit code, what was shown, and the steps written.
 */
async function recordWithSlowPerson(
  entries: string[],
  options: { answerMs: number; ctrlCAfter?: string; timeoutMs?: number },
) {
  const dir = await tempScenarios({});
  const file = `${dir}/slow.yaml`;
  const script = `
import { recordCommand } from ${
    JSON.stringify(new URL("../lib/cli/record_command.ts", import.meta.url).href)
  };
const [file, python, entriesJson, answerMs, ctrlCAfter, timeoutMs] = Deno.args;
const entries = JSON.parse(entriesJson);
let out = "";
const io = {
  stdout: (text) => {
    out += text;
    if (ctrlCAfter !== "" && out.endsWith(ctrlCAfter)) Deno.kill(Deno.pid, "SIGINT");
  },
  stderr: (text) => { out += text; },
  isTerminal: false,
  colorAllowed: false,
};
const lines = {
  interactive: true,
  ended: false,
  read: async (prompt) => {
    if (prompt === ">>> ") return entries.shift() ?? null;
    await new Promise((resolve) => setTimeout(resolve, Number(answerMs)));
    return "answer";
  },
  readSecret: () => Promise.resolve(null),
  remember: () => {},
  interrupt: () => false,
  close: () => Promise.resolve(),
};
const timeout = timeoutMs === "" ? {} : { timeoutMs: Number(timeoutMs) };
const code = await recordCommand({ file, python, ...timeout }, io, lines);
console.log(out);
Deno.exit(code);
`;
  const args = [
    file,
    TEST_PYTHON,
    JSON.stringify(entries),
    String(options.answerMs),
    options.ctrlCAfter ?? "",
    options.timeoutMs === undefined ? "" : String(options.timeoutMs),
  ];
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const shown = new TextDecoder().decode(stdout);
  const text = await Deno.readTextFile(file).catch(() => "steps: []");
  await Deno.remove(dir, { recursive: true });
  return { code, shown, steps: parse(text).steps };
}

Deno.test("record: the time spent answering input() is not in interrupt_after (a replay answers at once)", async () => {
  // Answered in 4 s, then Ctrl-C as soon as "go" shows. Before, the 4 s were in interrupt_after:
  // a replay interrupted after its sleep had ended, got status ok, and failed. (The sleep is long
  // so that a Ctrl-C slowed by a busy machine still lands in it.)
  const { code, shown, steps } = await recordWithSlowPerson(
    ["x = input('Q? '); import time; print('go', flush=True); time.sleep(30)"],
    { answerMs: 4000, ctrlCAfter: "go\n" },
  );
  equal(code, 0, shown);
  equal(steps[0].expect.status, "interrupted", shown);
  const after = parseDuration(steps[0].interrupt_after);
  ok(
    after !== undefined && after < 4000,
    `interrupt_after ${steps[0].interrupt_after} leaves out the 4 s answer`,
  );
});

Deno.test("record: the time spent answering input() does not count against the entry's timeout", async () => {
  // Before, a person slower than the timeout (30 s by default) saw the entry time out under them.
  const { code, shown, steps } = await recordWithSlowPerson(["x = input('Q? ')", "x"], {
    answerMs: 3000,
    timeoutMs: 1500,
  });
  equal(code, 0, shown);
  equal(JSON.stringify(steps[0].inputs), '[{"prompt":"Q? ","reply":"answer"}]');
  equal(steps[1].expect.value, "answer");
});

Deno.test("record: code that ignores its timeout's interrupt ends the recording, steps kept", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/t.yaml`;
  const run = await runCli(["record", file, "--timeout", "1s", "--python", TEST_PYTHON], {
    stdin:
      "a = 1\nwhile True:\n  try:\n    import time; time.sleep(5)\n  except KeyboardInterrupt: pass\n\na\n",
  });
  equal(run.code, 0, run.stderr);
  match(run.stderr, /not recorded: the code ignored the interrupt of its timeout/);
  const { steps } = parse(await Deno.readTextFile(file));
  equal(JSON.stringify(steps), '[{"exec":"a = 1"}]');
  await Deno.remove(dir, { recursive: true });
});
