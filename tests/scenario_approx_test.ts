import { deepStrictEqual, equal } from "node:assert/strict";
import { approxMatcher, renderApprox } from "../lib/scenario/approx.ts";
import { checkExecution } from "../lib/scenario/check.ts";
import { parseScenario } from "../lib/scenario/load.ts";
import { valuesEqual } from "../lib/scenario/matchers.ts";

// pytest.approx's verdicts: |actual - expected| <= max(rel * |expected|, abs).
const cases: [string, unknown, unknown, boolean][] = [
  ["0.1 + 0.2 is approx 0.3", { approx: 0.3 }, 0.1 + 0.2, true],
  ["the default rel is 1e-6", { approx: 0.3 }, 0.3001, false],
  ["a looser rel", { approx: 0.3, rel: 1e-3 }, 0.3001, true],
  ["abs alone ignores rel", { approx: 100, abs: 0.5 }, 100.4, true],
  ["abs alone is a bound", { approx: 100, abs: 0.5 }, 100.6, false],
  ["the larger of rel and abs", { approx: 100, rel: 1e-2, abs: 0.5 }, 100.9, true],
  ["abs 1e-12 by default around 0", { approx: 0 }, 1e-13, true],
  ["default abs is tiny", { approx: 0 }, 1e-11, false],
  ["rel 1e-9 and abs 0 are tight", { approx: 1e6, rel: 1e-9, abs: 0 }, 1e6 + 0.01, false],
  ["rel 1e-9 of a million", { approx: 1e6, rel: 1e-9, abs: 0 }, 1e6 + 0.0005, true],
  ["infinity equals infinity", { approx: Infinity }, Infinity, true],
  ["infinity is no large number", { approx: Infinity }, 1e308, false],
  ["NaN never equals NaN", { approx: NaN }, NaN, false],
  ["NaN equals NaN with nan_ok", { approx: NaN, nan_ok: true }, NaN, true],
  ["a bigint actual", { approx: 10 }, 10n, true],
  ["a string is no number", { approx: 1 }, "1", false],
  ["nested in a list", [1, { approx: 0.3 }], [1, 0.1 + 0.2], true],
  ["nested in a mapping", { a: { approx: 0.5 } }, new Map([["a", 0.5000001]]), true],
  ["nested and off", { a: [{ approx: 0.5 }] }, { a: [0.6] }, false],
  ["approx of a list", { approx: [0.1, 0.2], rel: 1e-3 }, [0.1001, 0.2], true],
  ["approx of a mapping", { approx: { x: 1, y: "s" } }, { x: 1.0000001, y: "s" }, true],
  ["approx of a set's items", { approx: [0.3, 1] }, new Set([1, 0.1 + 0.2]), true],
  // The literal rule: an approx mapping also matches a dict equal to it as written.
  ["a dict with an approx key, literally", { approx: 0.3 }, new Map([["approx", 0.3]]), true],
  ["other keys make a plain mapping", { approx: 0.3, unit: "s" }, 0.3, false],
  ["a plain mapping with approx", { approx: 0.3, unit: "s" }, { approx: 0.3, unit: "s" }, true],
  ["a negative rel makes a plain mapping", { approx: 0.3, rel: -1 }, 0.3, false],
];
for (const [what, expected, actual, ok] of cases) {
  Deno.test(`approx: ${what}`, () => equal(valuesEqual(expected, actual), ok));
}

Deno.test("an approx number reads as pytest prints it", () => {
  equal(renderApprox(0.3, { nanOk: false }), "0.3 ± 3.0e-07");
  equal(renderApprox(1e6, { abs: 2.5e3, nanOk: false }), "1000000 ± 2.5e+03");
});

Deno.test("approxMatcher reads the tolerance keys", () => {
  deepStrictEqual(approxMatcher({ approx: 1, rel: 1e-9, abs: 0, nan_ok: true })?.tolerance, {
    rel: 1e-9,
    abs: 0,
    nanOk: true,
  });
  equal(approxMatcher({ rel: 1 }), undefined);
  equal(approxMatcher({ approx: 1, nan_ok: "yes" }), undefined);
});

function step(expect: string) {
  const s = parseScenario(`steps:\n  - exec: x\n    expect: ${expect}\n`, "t.yaml").steps[0];
  if (s.kind !== "exec") throw new Error("exec expected");
  return s;
}
const result = (value: unknown) => ({
  status: "ok" as const,
  stdout: "",
  stderr: "",
  executionCount: 1,
  durationMs: 1,
  value,
});

Deno.test("a scenario's value: {approx} passes within tolerance and fails outside it", () => {
  deepStrictEqual(checkExecution(step("{value: {approx: 0.3}}"), result(0.1 + 0.2)), []);
  const [failure] = checkExecution(
    step("{value: [{approx: 0.3, rel: 1e-9, abs: 0}]}"),
    result([0.31]),
  );
  deepStrictEqual([failure.key, failure.message], ["value", "value differs"]);
});
