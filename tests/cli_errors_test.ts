import { deepStrictEqual, equal, match } from "node:assert/strict";
import { UsageError } from "../lib/cli/args.ts";
import { describeError } from "../lib/cli/errors.ts";
import { PyReplError } from "../lib/errors.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";

Deno.test("a usage error is one line and a pointer to --help", () => {
  deepStrictEqual(describeError(new UsageError("unknown option --x")), {
    lines: ["pyrepl3: unknown option --x", "Try 'pyrepl3 --help'."],
    exitCode: 2,
  });
});

Deno.test("an invalid scenario prints each issue as file:line:column: message", () => {
  const error = new ScenarioValidationError([
    { file: "a.yaml", line: 3, column: 5, message: "unknown key 'exce'" },
    { file: "b.yaml", line: 1, column: 1, message: "steps is required" },
  ]);
  deepStrictEqual(describeError(error), {
    lines: ["a.yaml:3:5: unknown key 'exce'", "b.yaml:1:1: steps is required"],
    exitCode: 2,
  });
});

Deno.test("a known library or file-system error is one line with its name, no stack", () => {
  const closed = describeError(new PyReplError("the worker is gone"));
  equal(closed.lines.length, 1);
  equal(closed.lines[0], "pyrepl3: PyReplError: the worker is gone");
  const missing = describeError(new Deno.errors.NotFound("no such file\nsecond line"));
  deepStrictEqual(missing.lines, ["pyrepl3: NotFound: no such file; second line"]);
});

Deno.test("an unexpected error is an internal error with its stack, exit 2", () => {
  const report = describeError(new TypeError("boom"));
  equal(report.exitCode, 2);
  equal(report.lines[0], "pyrepl3: internal error: boom");
  match(report.lines[1], /TypeError: boom\n\s+at /);
});
