import { deepStrictEqual, equal } from "node:assert/strict";
import { formatJson } from "../lib/report/json.ts";
import type { RunReport } from "../lib/report/model.ts";
import { fixtureReport, PASSED } from "./_helpers/report_fixture.ts";

Deno.test("json parses back to the same report", () => {
  const report = fixtureReport();
  deepStrictEqual(JSON.parse(formatJson(report)), report);
});

Deno.test("json writes Python values JSON cannot hold in their nearest form", () => {
  const step = {
    ...PASSED.steps[0],
    actual: {
      status: "ok",
      stdout: "",
      stderr: "",
      value: {
        big: 2n ** 70n,
        bytes: new Uint8Array([97, 98]),
        map: new Map([[1, "a"]]),
        set: new Set([3]),
      },
    },
  };
  const report: RunReport = { ...fixtureReport(), scenarios: [{ ...PASSED, steps: [step] }] };
  const parsed = JSON.parse(formatJson(report));
  deepStrictEqual(parsed.scenarios[0].steps[0].actual.value, {
    big: "1180591620717411303424",
    bytes: [97, 98],
    map: { "1": "a" },
    set: [3],
  });
  equal(formatJson(report).endsWith("}\n"), true);
});
