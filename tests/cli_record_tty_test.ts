/**
 * `record` at a real terminal: a pseudo-terminal (tests/_helpers/pty_drive.py) types the keys a
 * person would, waiting for the screen to show each prompt; the file written replays green.
 */
import { equal, match, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { CTRL_C, CTRL_D, driveCli as drive, type Key, UP } from "./_helpers/record_pty.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

/** The keys typed, each after the screen shows what it waits for. */
const SESSION: Key[] = [
  { expect: ">>> " },
  { send: "def double(x):\r" },
  { expect: "... " },
  { send: "    return 2 * x\r" },
  { expect: "... " },
  { send: "\r" },
  { expect: ">>> " },
  // One line that opens a block: Python (codeop) asks for more, as python3 does.
  { send: "for i in range(3): print(double(i))\r" },
  { expect: "... " },
  { send: "\r" },
  { expect: "4\r\n" },
  { expect: ">>> " },
  { send: 'name = input("Name: ")\r' },
  { expect: "Name: " },
  { send: "Ada\r" },
  { expect: ">>> " },
  { send: "name\r" },
  { expect: "'Ada'\r\n" },
  { expect: ">>> " },
  // Up recalls `name`; the line is edited before running.
  { send: UP },
  { expect: "name" },
  { send: " + '!'\r" },
  { expect: "'Ada!'\r\n" },
  { expect: ">>> " },
  { send: "never = 'run'" },
  { expect: "never = 'run'" },
  { send: CTRL_C },
  { expect: "KeyboardInterrupt\r\n" },
  { expect: ">>> " },
  { send: "import time; print('ready', 'to', 'sleep', flush=True); time.sleep(5)\r" },
  { expect: "ready to sleep" },
  { send: CTRL_C },
  { expect: "KeyboardInterrupt" },
  { expect: ">>> " },
  { send: "import getpass; secret = getpass.getpass()\r" },
  { expect: "Password: " },
  { send: "hunter2\r" },
  { expect: ">>> " },
  { send: "len(secret)\r" },
  { expect: "7\r\n" },
  { expect: ">>> " },
  { send: CTRL_D },
  { expect: "it passes" },
];

/**
 * The file written, `interrupt_after` aside (it is the time measured at the terminal): the golden
 * file (not a scenario: its `interrupt_after` is a placeholder).
 */
const GOLDEN = await Deno.readTextFile(
  new URL("./fixtures/record/session.golden.yaml", import.meta.url),
);

Deno.test("record at a terminal: python3's prompt, and a file that replays green", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/session.yaml`;
  const history = `${dir}/history`;
  const run = await drive(SESSION, ["record", file, "--python", TEST_PYTHON], {
    PYREPL3_HISTORY: history,
  });
  equal(run.error, undefined, run.screen);
  equal(run.code, 0, run.screen);
  // Not echoed, and never written: the password is in no output and in no file.
  ok(!run.screen.includes("hunter2"), run.screen);
  match(run.screen, /reply_env: PYREPL3_SECRET_PASSWORD; set PYREPL3_SECRET_PASSWORD/);
  const text = await Deno.readTextFile(file);
  ok(!text.includes("hunter2"), text);
  match(text, /interrupt_after: \d+(\.\d+)?m?s\n/);
  const shown = text.replace(/interrupt_after: .*/, "interrupt_after: DURATION");
  equal(shown.replace(/^python: .*\n/m, ""), GOLDEN);
  // It replays green with the CLI too, the password in the variable named.
  const replay = await runCli([file], { env: { PYREPL3_SECRET_PASSWORD: "hunter2" } });
  equal(replay.code, 0, replay.stdout + replay.stderr);
  // Kept for the next run's Up arrow; the password is not.
  const kept = await Deno.readTextFile(history);
  match(kept, /^name \+ '!'$/m);
  ok(!kept.includes("hunter2"), kept);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("record at a terminal keeps a pasted block and lines typed ahead while code runs", async () => {
  const dir = await tempScenarios({});
  const file = `${dir}/paste.yaml`;
  const keys: Key[] = [
    { expect: ">>> " },
    // One write, as a terminal delivers a paste: every line reaches its own prompt.
    { send: "if True:\r    print('yes')\r\rx = input('Name: ')\rBob\rx\r" },
    { expect: "'Bob'\r\n" },
    { expect: ">>> " },
    // Typed while the sleep runs: the entry waits for the next prompt, as in python3.
    { send: "import time; print('napping', flush=True); time.sleep(1)\r" },
    { expect: "napping" },
    { send: "y = 5\ry\r" },
    { expect: "5\r\n" },
    { expect: ">>> " },
    { send: CTRL_D },
    { expect: "it passes" },
  ];
  const run = await drive(keys, ["record", file, "--python", TEST_PYTHON], {
    PYREPL3_HISTORY: `${dir}/history`,
  });
  equal(run.error, undefined, run.screen);
  equal(run.code, 0, run.screen);
  const text = await Deno.readTextFile(file);
  match(text, /exec: \|-\n\s+if True:\n\s+print\('yes'\)\n\s+expect:\n\s+stdout: \|\n\s+yes\n/);
  match(text, /reply: Bob/);
  match(text, /exec: y\n\s+expect:\n\s+value: 5\n/);
  await Deno.remove(dir, { recursive: true });
});
