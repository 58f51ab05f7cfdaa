import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parse } from "yaml";
import type {
  ExpectationFailure,
  FailureKind,
  ScenarioReport,
  StepReport,
} from "../lib/report/model.ts";
import { failureAbout } from "../lib/scenario/check.ts";
import { loadScenario } from "../lib/scenario/load.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import { updateScenarioText } from "../lib/scenario/update.ts";

function stepReport(
  index: number,
  status: StepReport["status"],
  actual: StepReport["actual"],
  failed: FailureKind[] = [],
): StepReport {
  return {
    index,
    kind: "exec",
    label: "",
    line: 1,
    column: 1,
    status,
    durationMs: 1,
    actual,
    failures: failed.map((kind) => ({ ...failureAbout(kind), message: `${kind} differs` })),
  };
}
function report(steps: StepReport[]): ScenarioReport {
  return { name: "x", file: "x.yaml", tags: [], status: "failed", durationMs: 1, steps };
}
const ok_ = (extra: Partial<NonNullable<StepReport["actual"]>> = {}) => ({
  status: "ok",
  stdout: "",
  stderr: "",
  ...extra,
});

const SOURCE = `# a scenario written with code only
name: x
steps:
  - exec: print("hi") # says hi
  - exec: 6 * 7
  - exec: import sys; sys.stderr.write("careful\\n")
  - exec: 1 / 0
  - exec: object()
  - exec: print("hello world")
    expect:
      stdout: { contains: world } # kept: it passes
      stderr: wrong
  - exec: 2 + 2
    expect: { value: 5 }
  - exec: x = 1
`;

Deno.test("update adds expectations to code-only steps and fixes only failing fields, keeping comments", () => {
  const out = updateScenarioText(
    SOURCE,
    report([
      stepReport(0, "passed", ok_({ stdout: "hi\n" })),
      stepReport(1, "passed", ok_({ value: 42n, repr: "42" })),
      stepReport(2, "passed", ok_({ stderr: "careful\n", value: 8, repr: "8" })),
      stepReport(3, "failed", {
        status: "error",
        stdout: "",
        stderr: "",
        error: { type: "ZeroDivisionError", message: "division by zero" },
      }, ["status"]),
      stepReport(4, "passed", ok_({ repr: "<object object at 0x7f00>" })),
      stepReport(5, "failed", ok_({ stdout: "hello world\n", stderr: "" }), ["stderr"]),
      stepReport(6, "failed", ok_({ value: 4, repr: "4" }), ["value"]),
      stepReport(7, "passed", ok_()),
    ]),
  );
  ok(out.startsWith("# a scenario written with code only\n"));
  ok(out.includes('print("hi") # says hi'));
  ok(out.includes("stdout: { contains: world } # kept: it passes"));
  const steps = parse(out).steps;
  deepStrictEqual(steps.map((s: { expect?: unknown }) => s.expect), [
    { stdout: "hi\n" },
    { value: 42 },
    { value: 8, stderr: "careful\n" },
    { error: "ZeroDivisionError" },
    { repr: "<object object at 0x7f00>" },
    { stdout: { contains: "world" }, stderr: "" },
    { value: 4 },
    undefined,
  ]);
});

Deno.test("update changes nothing when every step passed with expectations", () => {
  const text = "steps:\n  - exec: 1\n    expect: {value: 1}\n".replace("exec: 1", "exec: '1'");
  equal(updateScenarioText(text, report([stepReport(0, "passed", ok_({ value: 1 }))])), text);
});

Deno.test("update of a JSON file keeps its indentation and key order, editing only the values", () => {
  const text = `{
    "name": "x",
    "steps": [
        {"exec": "print(1)"},
        {
            "exec": "2 + 2",
            "expect": { "value": 5, "stderr": "" }
        }
    ]
}
`;
  const out = updateScenarioText(
    text,
    report([
      stepReport(0, "passed", ok_({ stdout: "1\n" })),
      stepReport(1, "failed", ok_({ value: 4, repr: "4" }), ["value"]),
    ]),
    true,
  );
  equal(
    out,
    text.replace('{"exec": "print(1)"}', '{"exec": "print(1)", "expect": {"stdout": "1\\n"}}')
      .replace('"value": 5', '"value": 4'),
  );
  deepStrictEqual(JSON.parse(out).steps[1].expect, { value: 4, stderr: "" });
});

/** A file whose untouched parts are in every style `--update` must not reflow. */
const STYLED = `# styled by hand
name: styled
tags: [bank, smoke]   # flow tags
env: { A: "1", B: 'two' }
steps:
  - exec: "x = [[1, 2], [3, 4]]"  # nested
    expect: {status: ok}
  - exec: '6 * 7'
    expect:
      value: 41    # wrong on purpose
      stdout: ''
  - exec: 2 ** 70
  - exec: print("a"); print("b")
    expect: { stdout: "a\\n", stderr: '' }  # flow expect
  - exec: big = 2 ** 70
    expect:
      value: [[1, 2],  [3]]
`;

Deno.test("update keeps every untouched byte: flow tags, nested flow lists, comments, quotes", () => {
  const out = updateScenarioText(
    STYLED,
    report([
      stepReport(0, "passed", ok_()),
      stepReport(1, "failed", ok_({ value: 42, repr: "42" }), ["value"]),
      stepReport(2, "passed", ok_({ value: 2n ** 70n, repr: "1180591620717411303424" })),
      stepReport(3, "failed", ok_({ stdout: "a\nb\n" }), ["stdout"]),
      stepReport(4, "passed", ok_()),
    ]),
  );
  equal(
    out,
    STYLED.replace("value: 41    # wrong", "value: 42    # wrong")
      .replace(
        "  - exec: 2 ** 70\n",
        "  - exec: 2 ** 70\n    expect:\n      value: 1180591620717411303424\n",
      )
      .replace('{ stdout: "a\\n", stderr', '{ stdout: "a\\nb\\n", stderr'),
  );
});

Deno.test("update writes a big integer as its digits, and the file then loads it exactly", async () => {
  const text = "steps:\n  - exec: 10 ** 21 + 2 ** 70\n    expect: {value: 1}\n";
  const big = 10n ** 21n + 2n ** 70n;
  const out = updateScenarioText(
    text,
    report([stepReport(0, "failed", ok_({ value: big, repr: String(big) }), ["value"])]),
  );
  equal(out, `steps:\n  - exec: 10 ** 21 + 2 ** 70\n    expect: {value: ${big}}\n`);
  const dir = await Deno.makeTempDir({ prefix: "scenario_update_" });
  try {
    await Deno.writeTextFile(`${dir}/big.yaml`, out);
    const step = (await loadScenario(`${dir}/big.yaml`)).steps[0];
    equal(step.kind === "exec" ? step.expect.value : undefined, big);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("update removes expectation keys in flow and block maps without touching their neighbours", () => {
  const text = `steps:
  - exec: "1"
    expect: {status: error, error: ValueError, stdout: ''}  # x
  - exec: "2"
    expect:
      error: ValueError  # gone
      stdout: ''   # stays
`;
  const out = updateScenarioText(
    text,
    report([
      stepReport(0, "failed", ok_({ value: 1 }), ["status"]),
      stepReport(1, "failed", ok_({ value: 2 }), ["status"]),
    ]),
  );
  equal(
    out,
    `steps:
  - exec: "1"
    expect: {stdout: ''}  # x
  - exec: "2"
    expect:
      stdout: ''   # stays
`,
  );
});

const ZDE = { type: "ZeroDivisionError", message: "division by zero" };

/** The `error` expectation after updating `error` against a ZeroDivisionError with `failures`. */
function updatedError(error: string, failures: ExpectationFailure[]): unknown {
  const text = `steps:\n  - exec: '1/0'\n    expect:\n      error: ${error}\n`;
  const actual = { status: "error", stdout: "", stderr: "", error: ZDE };
  const out = updateScenarioText(text, report([{ ...stepReport(0, "failed", actual), failures }]));
  return parse(out).steps[0].expect.error;
}

Deno.test("update of a wrong error expectation with a message keeps the object form", () => {
  deepStrictEqual(
    updatedError("{type: ValueError, message: nope}", [
      { ...failureAbout("error.type"), message: "expected ValueError, got ZeroDivisionError" },
      { ...failureAbout("error.message"), message: "error message differs" },
    ]),
    ZDE,
  );
});

Deno.test("update rewrites an error message by the failure's kind, whatever its wording", () => {
  for (const message of ["message of the error differs", "error message differs"]) {
    const failures = [{ ...failureAbout("error.message"), message }];
    deepStrictEqual(updatedError("{type: ZeroDivisionError, message: nope}", failures), ZDE);
  }
});

Deno.test("update keeps an error message that matched when only the type failed", () => {
  const failures = [{ ...failureAbout("error.type"), message: "error message: wrong type" }];
  deepStrictEqual(updatedError("{type: ValueError, message: {contains: zero}}", failures), {
    type: "ZeroDivisionError",
    message: { contains: "zero" },
  });
});

Deno.test("--update turns a code-only scenario into a passing regression test, comments kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "scenario_update_" });
  const file = `${dir}/new.yaml`;
  await Deno.writeTextFile(
    file,
    [
      "# recorded by --update",
      "normalize: [addresses] # object() reprs differ between runs",
      "steps:",
      "  - exec: print('hello')  # greets",
      "  - exec: '{\"a\": [1, 2]}'",
      "  - exec: int('x')",
      "  - exec: 40 + 2",
      "    expect: { value: 41 }  # wrong on purpose",
      "  - exec: type('T', (), {})()",
      "",
    ].join("\n"),
  );
  try {
    const first = await runScenarios([file], { update: true });
    deepStrictEqual([first.passed, first.failed], [1, 0], "every step passes once written");
    equal(first.scenarios[0].updated, true);
    equal(first.scenarios[0].expectationsWritten, 5);
    deepStrictEqual(first.scenarios[0].steps.map((s) => s.updated), [true, true, true, true, true]);
    const text = await Deno.readTextFile(file);
    ok(text.startsWith("# recorded by --update\n"));
    ok(text.includes("# greets") && text.includes("# wrong on purpose"));
    const steps = (await loadScenario(file)).steps;
    deepStrictEqual(
      steps.map((s) =>
        s.kind === "exec"
          ? s.expect.error?.type ?? s.expect.value ?? s.expect.repr ?? s.expect.stdout
          : undefined
      ),
      [
        "hello\n",
        { a: [1, 2] },
        "ValueError",
        42,
        steps[4].kind === "exec" ? steps[4].expect.repr : "?",
      ],
    );
    const second = await runScenarios([file]);
    deepStrictEqual([second.passed, second.failed], [1, 0]);
    const third = await runScenarios([file], { update: true });
    equal(third.scenarios[0].updated, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
