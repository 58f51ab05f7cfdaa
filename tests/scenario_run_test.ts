import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import type { SessionOptions } from "../lib/options.ts";
import { Session } from "../lib/session.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { loadScenario } from "../lib/scenario/load.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import type { ScenarioSession } from "../lib/scenario/scenario_run.ts";
import { formatStepFailure } from "../lib/scenario/testing.ts";

/** Writes `files` into a fresh directory, runs `fn` on it, and removes it. */
async function withFiles(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "scenario_run_" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A session factory that remembers every session it made and the options it got. */
function trackingFactory() {
  const sessions: Session[] = [];
  const options: SessionOptions[] = [];
  const factory = async (o: SessionOptions): Promise<ScenarioSession> => {
    const session = new Session(o);
    sessions.push(session);
    options.push(o);
    await session.start();
    return session;
  };
  return { factory, sessions, options };
}

const FAILING = `name: fails at step two
steps:
  - exec: x = 1
  - exec: x + 1
    expect: { value: 3 }
  - exec: print("never")
  - restart: true
`;
const PASSING = `name: passes
steps:
  - exec: print("ok")
    expect: { stdout: "ok\\n" }
`;

Deno.test("a failed step fails its scenario and skips the rest; other scenarios go on", async () => {
  await withFiles({ "a.yaml": FAILING, "b.yaml": PASSING }, async (dir) => {
    const report = await runScenarios([dir]);
    deepStrictEqual(report.scenarios.map((s) => [s.name, s.status]), [[
      "fails at step two",
      "failed",
    ], ["passes", "passed"]]);
    deepStrictEqual([report.passed, report.failed], [1, 1]);
    const steps = report.scenarios[0].steps;
    deepStrictEqual(steps.map((s) => s.status), ["passed", "failed", "skipped", "skipped"]);
    deepStrictEqual(steps[1].failures.map((f) => [f.key, f.expected, f.actual]), [[
      "value",
      "3",
      "2",
    ]]);
    deepStrictEqual([steps[1].line, steps[1].column], [4, 5]);
    const text = formatStepFailure(await loadScenario(`${dir}/a.yaml`), steps[1]);
    ok(text.startsWith(`${dir}/a.yaml:4:5 step 2 (exec) x + 1`), text);
    ok(text.includes("- expected: 3\n") && text.includes("+ actual:   2"), text);
  });
});

Deno.test("every session of a scenario is shut down, after a pass, a failure or a crash", async () => {
  const scenario = `steps:
  - exec: a = 1
  - exec: b = 2
    session: second
  - exec: import os; os._exit(3)
    session: third
  - exec: never_runs
`;
  await withFiles({ "crash.yaml": scenario, "ok.yaml": PASSING }, async (dir) => {
    const { factory, sessions } = trackingFactory();
    const report = await runScenarios([dir], { sessionFactory: factory });
    equal(report.scenarios[0].steps[2].status, "failed");
    equal(report.scenarios[0].steps[3].status, "skipped");
    equal(sessions.length, 4);
    deepStrictEqual(sessions.map((s) => s.state), ["closed", "closed", "closed", "closed"]);
  });
});

Deno.test("sessions get the file's python, env and cwd; run options override python and timeout", async () => {
  const scenario = `python: python3
env: { GREETING: hi }
cwd: sub
timeout: 250ms
steps:
  - exec: import os; (os.environ["GREETING"], os.path.basename(os.getcwd()))
    expect: { value: [hi, sub] }
  - exec: import time; time.sleep(3)
`;
  await withFiles({ "env.yaml": scenario }, async (dir) => {
    await Deno.mkdir(`${dir}/sub`);
    const { factory, options } = trackingFactory();
    const report = await runScenarios([dir], {
      sessionFactory: factory,
      timeoutMs: 5000,
      python: "python3",
    });
    deepStrictEqual(report.scenarios[0].steps.map((s) => s.status), ["passed", "passed"]);
    deepStrictEqual(options, [
      { python: "python3", cwd: `${dir}/sub`, hashSeed: 0, env: { GREETING: "hi" } },
    ]);
    const strict = await runScenarios([dir]);
    deepStrictEqual(strict.scenarios[0].steps[1].actual?.status, "timeout");
  });
});

const inputCases: [string, string, string][] = [
  [
    "a prompt with no scripted reply",
    "inputs: []",
    `the code asked for input with prompt "Name: ", but no scripted reply was left`,
  ],
  [
    "a prompt that differs from the scripted one",
    "inputs: [{prompt: 'Age: ', reply: '3'}]",
    `expected prompt "Age: ", but the code showed "Name: "`,
  ],
  ["a scripted reply never asked for", "inputs: [Alice, Bob]", "1 scripted reply was not used"],
];
for (const [what, inputs, message] of inputCases) {
  Deno.test(`${what} fails the step with a clear message`, async () => {
    const scenario = `steps:\n  - exec: 'name = input("Name: ")'\n    ${inputs}\n  - exec: name\n`;
    await withFiles({ "in.yaml": scenario }, async (dir) => {
      const steps = (await runScenarios([dir])).scenarios[0].steps;
      deepStrictEqual(steps.map((s) => s.status), ["failed", "skipped"]);
      const failure = steps[0].failures.find((f) => f.key === "inputs");
      ok(failure?.message.startsWith(message), failure?.message);
    });
  });
}

Deno.test("a restore of a checkpoint taken in another session carries its names over", async () => {
  const scenario = `steps:
  - exec: shared = [1, 2]
    session: a
  - checkpoint: cp
    session: a
  - restore: cp
    session: b
  - exec: shared
    session: b
    expect: { value: [1, 2] }
`;
  await withFiles({ "cp.yaml": scenario }, async (dir) => {
    equal((await runScenarios([dir])).passed, 1);
  });
});

Deno.test("invalid files stop the run before any session starts, with every file's problems", async () => {
  await withFiles(
    { "a.yaml": "steps:\n  - exce: x\n", "b.yaml": "stepz: []\n", "c.yaml": PASSING },
    async (dir) => {
      const { factory, sessions } = trackingFactory();
      await rejects(() => runScenarios([dir], { sessionFactory: factory }), (e) => {
        ok(e instanceof ScenarioValidationError);
        deepStrictEqual([...new Set(e.issues.map((i) => i.file))], [
          `${dir}/a.yaml`,
          `${dir}/b.yaml`,
        ]);
        return true;
      });
      equal(sessions.length, 0);
    },
  );
});

Deno.test("bail starts no scenario after a failure; jobs keep file order; callbacks see each", async () => {
  await withFiles({
    "a.yaml": PASSING.replace("passes", "one"),
    "b.yaml": FAILING,
    "c.yaml": PASSING,
  }, async (dir) => {
    const started: string[] = [];
    const done: string[] = [];
    const bailed = await runScenarios([dir], {
      bail: true,
      onScenarioStart: (s) => started.push(s.name),
      onScenarioDone: (r) => done.push(r.name),
    });
    deepStrictEqual(bailed.scenarios.map((s) => s.name), ["one", "fails at step two"]);
    deepStrictEqual([started, done], [["one", "fails at step two"], ["one", "fails at step two"]]);
    const parallel = await runScenarios([dir], { jobs: 3 });
    deepStrictEqual(parallel.scenarios.map((s) => s.name), ["one", "fails at step two", "passes"]);
  });
});

Deno.test("with jobs, reporters hear of scenarios in file order even when a later one ends first", async () => {
  const slow = "name: slow\nsteps:\n  - exec: import time; time.sleep(0.5)\n";
  await withFiles({ "a.yaml": slow, "b.yaml": PASSING.replace("passes", "quick") }, async (dir) => {
    const done: string[] = [];
    await runScenarios([dir], { jobs: 2, onScenarioDone: (r) => done.push(r.name) });
    deepStrictEqual(done, ["slow", "quick"]);
  });
});

Deno.test("filter, tags and shard choose which scenarios run", async () => {
  const tagged = PASSING.replace("name: passes", "name: tagged\ntags: [fast]");
  await withFiles({ "a.yaml": tagged, "b.yaml": FAILING, "c.yaml": PASSING }, async (dir) => {
    deepStrictEqual((await runScenarios([dir], { filter: "pass" })).scenarios.map((s) => s.name), [
      "passes",
    ]);
    deepStrictEqual((await runScenarios([dir], { tags: ["fast"] })).scenarios.map((s) => s.name), [
      "tagged",
    ]);
    const shards = [];
    for (const index of [1, 2]) {
      shards.push(
        (await runScenarios([dir], { shard: { index, total: 2 }, filter: /^(tagged|passes)$/ }))
          .scenarios.map((s) => s.name),
      );
    }
    deepStrictEqual(shards, [["tagged"], ["passes"]]);
  });
});

Deno.test("the report names the Python version the scenarios ran", async () => {
  await withFiles({ "b.yaml": PASSING }, async (dir) => {
    const report = await runScenarios([dir]);
    const expected = await withStarted((session) => session.pythonVersion);
    equal(report.pythonVersion, expected);
    equal(report.scenarios[0].pythonVersion, expected);
  });
});

async function withStarted<T>(fn: (session: Session) => T): Promise<T> {
  const session = new Session({ python: Deno.env.get("PYREPL3_TEST_PYTHON") ?? "python3" });
  try {
    await session.start();
    return fn(session);
  } finally {
    await session.shutdown();
  }
}
