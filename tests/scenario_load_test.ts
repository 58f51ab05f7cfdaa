import { deepStrictEqual as assertEquals, match, ok, rejects } from "node:assert/strict";
import { loadScenario, parseScenario } from "../lib/scenario/load.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { loadScenarios } from "../lib/scenario/select.ts";
import { PyReplError } from "../lib/errors.ts";
import { parseDuration } from "../lib/scenario/duration.ts";

function issuesOf(text: string, file = "t.yaml"): string[] {
  try {
    parseScenario(text, file);
  } catch (e) {
    ok(e instanceof ScenarioValidationError);
    ok(e instanceof PyReplError);
    return e.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`);
  }
  throw new Error("expected a ScenarioValidationError");
}

Deno.test("loadScenario reads every field and places each step", async () => {
  const s = await loadScenario("scenarios/greeting.yaml");
  assertEquals(s.name, "greeting survives a failed step");
  assertEquals(s.tags, ["input", "transactions", "checkpoints"]);
  assertEquals(s.timeoutMs, 10_000);
  assertEquals(s.cwd, `${Deno.cwd()}/scenarios`);
  assertEquals(s.steps.map((st) => st.kind), [
    "exec",
    "exec",
    "exec",
    "exec",
    "checkpoint",
    "restart",
    "exec",
    "restore",
    "exec",
  ]);
  const first = s.steps[0];
  assertEquals([first.line, first.column, first.session], [8, 5, "main"]);
  if (first.kind !== "exec") throw new Error("exec expected");
  assertEquals(first.inputs, ["Alice"]);
  assertEquals(first.normalize, ["addresses"]);
  assertEquals(first.expect.stdout, "Name: ");
  const third = s.steps[2];
  if (third.kind !== "exec") throw new Error("exec expected");
  assertEquals(third.transaction, "rollback_on_failure");
  assertEquals(third.expect.error, { type: "ZeroDivisionError" });
});

Deno.test("a scenario without a name is named after its file; JSON loads like YAML", () => {
  const s = parseScenario(
    JSON.stringify({
      cwd: "sub",
      normalize: ["ansi"],
      steps: [
        {
          exec: "x = 1",
          session: "b",
          timeout: 2,
          interrupt_after: "500ms",
          normalize: ["addresses"],
          expect: { value: null, duration: { max: "2m" } },
        },
        { commit: true },
        { rollback: true },
      ],
    }),
    "/some/dir/my_case.json",
  );
  assertEquals(s.name, "my_case");
  assertEquals(s.cwd, "/some/dir/sub");
  const step = s.steps[0];
  if (step.kind !== "exec") throw new Error("exec expected");
  assertEquals([step.session, step.timeoutMs, step.interruptAfterMs], ["b", 2000, 500]);
  assertEquals(step.normalize, ["ansi", "addresses"]);
  assertEquals([step.expect.hasValue, step.expect.value, step.expect.durationMaxMs], [
    true,
    null,
    120_000,
  ]);
  assertEquals(s.steps.slice(1).map((x) => x.kind), ["commit", "rollback"]);
});

Deno.test("durations: seconds, milliseconds, minutes and bare numbers", () => {
  assertEquals(
    ["10s", "500ms", "2m", 3, "1.5s", "7", "x", "5h", -1].map(parseDuration),
    [10_000, 500, 120_000, 3000, 1500, 7000, undefined, undefined, undefined],
  );
});

const invalid: [string, string, string][] = [
  [
    "misspelled step key",
    "steps:\n  - exec: x\n    expext: {}\n",
    "t.yaml:3:5: unknown key 'expext' (did you mean 'expect'?)",
  ],
  [
    "misspelled top-level key",
    "naem: x\nsteps: [{restart: true}]\n",
    "t.yaml:1:1: unknown key 'naem' (did you mean 'name'?)",
  ],
  [
    "misspelled step kind",
    "steps:\n  - exce: x\n",
    "t.yaml:2:5: unknown key 'exce' (did you mean 'exec'?)",
  ],
  [
    "step without a kind",
    "steps:\n  - session: a\n",
    "t.yaml:2:5: 'steps[0]': a step needs exactly one of the keys exec, checkpoint, restore, commit, rollback, restart",
  ],
  [
    "misspelled matcher",
    "steps:\n  - exec: x\n    expect:\n      stdout: {contain: a}\n",
    "t.yaml:4:16: unknown key 'contain' (did you mean 'contains'?)",
  ],
  [
    "wrong type inside a matcher",
    "steps:\n  - exec: x\n    expect: {stderr: {contains: 1}}\n",
    "t.yaml:3:33: 'steps[0].expect.stderr.contains': expected a string, got 1",
  ],
  [
    "bad status",
    "steps:\n  - exec: x\n    expect: {status: okk}\n",
    `t.yaml:3:22: 'steps[0].expect.status': expected one of ok, error, interrupted, timeout, crashed, got "okk" (did you mean 'ok'?)`,
  ],
  [
    "bad duration",
    "timeout: 10x\nsteps: [{restart: true}]\n",
    `t.yaml:1:10: 'timeout': expected a duration`,
  ],
  [
    "wrong type",
    "tags: a\nsteps: [{restart: true}]\n",
    `t.yaml:1:7: 'tags': expected an array, got "a"`,
  ],
  [
    "restart: false",
    "steps:\n  - restart: false\n",
    "t.yaml:2:14: 'steps[0].restart': expected true, got false",
  ],
  [
    "input entry missing reply",
    "steps:\n  - exec: x\n    inputs: [{prompt: a}]\n",
    "t.yaml:3:14: missing required key 'reply'",
  ],
  ["missing steps", "name: x\n", "t.yaml:1:1: missing required key 'steps'"],
  ["empty steps", "steps: []\n", "t.yaml:1:8: 'steps': must not be empty"],
  [
    "bad transaction",
    "steps:\n  - exec: x\n    transaction: rollback_on_fail\n",
    "(did you mean 'rollback_on_failure'?)",
  ],
  [
    "restore of an unknown checkpoint",
    "steps:\n  - restore: saved\n  - checkpoint: saved\n",
    "t.yaml:2:14: restore of checkpoint 'saved', which no earlier step takes",
  ],
  [
    "invalid regex in a matcher",
    "steps:\n  - exec: x\n    expect: {stdout: {matches: '[a'}}\n",
    't.yaml:3:32: invalid regular expression "[a"',
  ],
  [
    "invalid regex in a normalizer",
    "normalize: [{regex: '(', replace: ''}]\nsteps: [{restart: true}]\n",
    't.yaml:1:21: invalid regular expression "("',
  ],
  [
    "an invalid replacement in a normalizer",
    "normalize: [{regex: '(a)', replace: '\\2'}]\nsteps: [{restart: true}]\n",
    't.yaml:1:21: invalid regular expression "(a)": in the replacement "\\\\2": invalid group reference 2',
  ],
  [
    "a Python backreference (?P=name)",
    "steps:\n  - exec: x\n    expect: {stdout: {matches: '(?P<a>x)(?P=a)'}}\n",
    't.yaml:3:32: invalid regular expression "(?P<a>x)(?P=a)": a backreference (?P=name) cannot',
  ],
  ["YAML syntax error", "steps: [\n", "t.yaml:2:1: invalid YAML:"],
  [
    "a lookahead, which cannot run in linear time",
    "steps:\n  - exec: x\n    expect: {stdout: {matches: 'a(?=b)'}}\n",
    't.yaml:3:32: invalid regular expression "a(?=b)": lookahead (?=...) cannot be matched in linear time',
  ],
  [
    "a YAML alias bomb (billion laughs)",
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
    "steps: [{restart: true}]\n",
    't.yaml:2:8: YAML aliases expand to more than 100 copies ("billion laughs")',
  ],
];
for (const [what, text, expected] of invalid) {
  Deno.test(`validation reports ${what} with its position`, () => {
    const issues = issuesOf(text);
    assertEquals(issues.length >= 1, true, `no issue for ${what}`);
    ok(issues.join("\n").includes(expected), `got:\n${issues.join("\n")}`);
  });
}

Deno.test("a JSON syntax error is reported as JSON with its line and column", () => {
  const issues = issuesOf('{"steps": [\n {"exec": "1",}\n]}', "t.json");
  assertEquals(issues.length, 1);
  match(issues[0], /^t\.json:2:15: invalid JSON: /);
});

Deno.test("every problem of a file is reported at once, in line order", () => {
  const issues = issuesOf("naem: x\ntags: a\nsteps:\n  - exec: x\n    expext: {}\n");
  assertEquals(issues.map((i) => i.split(": ")[0]), ["t.yaml:1:1", "t.yaml:2:7", "t.yaml:5:5"]);
});

Deno.test("loadScenario of a missing file rejects with NotFound", async () => {
  await rejects(() => loadScenario("scenarios/does_not_exist.yaml"), Deno.errors.NotFound);
});

async function issuesOfFile(path: string): Promise<string[]> {
  try {
    await loadScenario(path);
  } catch (e) {
    ok(e instanceof ScenarioValidationError, String(e));
    return e.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`);
  }
  throw new Error("expected a ScenarioValidationError");
}

Deno.test("a file that is not UTF-8 is refused at its first bad byte, not decoded into U+FFFD", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/latin1.yaml`;
  await Deno.writeFile(file, new TextEncoder().encode("steps:\n  - exec: print('caf\u00e9')\n"));
  ok(await loadScenario(file), "valid UTF-8 loads");
  await Deno.writeFile(
    file,
    Uint8Array.from([...new TextEncoder().encode("steps:\n  - exec: 'caf"), 0xe9, 0x27, 0x0a]),
  );
  assertEquals(await issuesOfFile(file), [
    `${file}:2:15: not UTF-8 text; save the file as UTF-8`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a FIFO given as a scenario path is refused before it is opened, never read", async () => {
  const dir = await Deno.makeTempDir();
  const fifo = `${dir}/pipe.yaml`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  ok(made.success);
  assertEquals(await issuesOfFile(fifo), [
    `${fifo}:1:1: not a regular file (a FIFO); give a file's path`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an alias bomb is one file's problem: the other files are still validated", async () => {
  const dir = await Deno.makeTempDir();
  const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) {
    laughs.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  }
  await Deno.writeTextFile(
    `${dir}/a_bomb.yaml`,
    laughs.join("\n") + "\nsteps: [{restart: true}]\n",
  );
  await Deno.writeTextFile(`${dir}/b_typo.yaml`, "steps:\n  - exce: 1\n");
  await rejects(() => loadScenarios([dir]), (e) => {
    ok(e instanceof ScenarioValidationError, String(e));
    assertEquals(e.issues.map((i) => `${i.file.slice(dir.length + 1)}:${i.line}`), [
      "a_bomb.yaml:2",
      "b_typo.yaml:2",
    ]);
    return true;
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a duration too long for a timer is a validation error at its line, not a 1 ms timeout", () => {
  assertEquals(issuesOf("timeout: 40000m\nsteps:\n  - exec: '1'\n    timeout: 2m\n"), [
    't.yaml:1:10: duration "40000m" is too long: at most 24.8 days (2147483647ms)',
  ]);
});

Deno.test("limits: sizes are read as bytes, a bad size is reported at its line", () => {
  const s = parseScenario(
    "limits:\n  memory: 1.5GiB\n  cpu_seconds: 2\n  open_files: 64\nsteps:\n  - exec: '1'\n",
    "t.yaml",
  );
  assertEquals(s.limits, { memoryBytes: 1.5 * 1024 ** 3, cpuSeconds: 2, openFiles: 64 });
  assertEquals(
    parseScenario("limits: { memory: 512MB }\nsteps:\n  - exec: '1'\n", "t.yaml").limits,
    {
      memoryBytes: 512e6,
    },
  );
  assertEquals(issuesOf("limits:\n  memory: lots\nsteps:\n  - exec: '1'\n"), [
    't.yaml:2:11: invalid memory limit "lots": expected bytes or e.g. 512MB, 1GiB',
  ]);
});
