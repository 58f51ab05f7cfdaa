import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { dirname } from "node:path";
import { encode } from "npm:fast-png@8.0.0";
import { runScenarios } from "../lib/scenario/run.ts";
import { loadScenario } from "../lib/scenario/load.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { formatJson } from "../lib/report/json.ts";
import { formatPretty } from "../lib/report/pretty.ts";
import { formatHtml } from "../lib/report/html.ts";
import { compareSnapshot, snapshotSibling } from "../lib/scenario/snapshot.ts";
import { TEST_PYTHON } from "./_helpers/session.ts";

/** A solid `width`x`height` PNG of one colour, with `spots` pixels of another in the first row. */
function png(width: number, height: number, spots = 0): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data.set(p < spots ? [255, 0, 0, 255] : [0, 0, 255, 255], p * 4);
  }
  return encode({ width, height, data, channels: 4, depth: 8 });
}

async function scenarioDir(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_rich_" });
  for (const [name, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(`${dir}/${name}`), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(`${dir}/${name}`, content);
    else await Deno.writeFile(`${dir}/${name}`, content);
  }
  return dir;
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

// A cell that displays an HTML table and a PNG (the image's bytes are built in Python, no packages).
const SHOW_IMAGE = (spots: number) => `
import base64
class Table:
    def _repr_html_(self):
        return "<table><tr><td>42</td></tr></table>"
display(Table())
display({"image/png": base64.b64decode("${
  btoa(String.fromCharCode(...png(10, 10, spots)))
}")}, raw=True)
{"answer": 42}`;

function scenario(spots: number, tolerance = 0): string {
  return `name: rich
steps:
  - exec: ${JSON.stringify(SHOW_IMAGE(spots))}
    expect:
      display:
        - text/html: { contains: "<table" }
        - image/png: { snapshot: plots/square.png, tolerance: ${tolerance} }
      data:
        text/plain: { contains: answer }
`;
}

Deno.test("display: and data: expectations pass, and a snapshot fails with actual and diff images", async () => {
  const dir = await scenarioDir({ "rich.yaml": scenario(0), "plots/square.png": png(10, 10) });
  try {
    let report = await runScenarios([`${dir}/rich.yaml`], { python: TEST_PYTHON });
    equal(report.failed, 0, formatPretty(report));
    // 3 of 100 pixels differ: fails at tolerance 0, passes at 0.05.
    await Deno.writeTextFile(`${dir}/rich.yaml`, scenario(3));
    report = await runScenarios([`${dir}/rich.yaml`], { python: TEST_PYTHON });
    equal(report.failed, 1);
    const failure = report.scenarios[0].steps[0].failures[0];
    equal(failure.kind, "display");
    ok(failure.message.includes("3 of 100 pixels (3.00%) differ"), failure.message);
    equal(failure.snapshot?.actualFile, `${dir}/plots/square.actual.png`);
    equal(failure.snapshot?.diffFile, `${dir}/plots/square.diff.png`);
    ok(await exists(`${dir}/plots/square.actual.png`));
    ok(await exists(`${dir}/plots/square.diff.png`));
    const pretty = formatPretty(report);
    ok(pretty.includes("[image/png 10x10]"), pretty);
    const json = JSON.parse(formatJson(report));
    const shown = json.scenarios[0].steps[0].actual.displays[1].data["image/png"];
    equal(typeof shown, "string", "binary bundle data is base64 in the JSON report");
    ok(shown.startsWith("iVBORw0KGgo"), shown);
    deepStrictEqual(json.scenarios[0].steps[0].actual.data["application/json"], undefined);
    ok(formatHtml(report).includes(`<img alt="[image/png 10x10]" src="data:image/png;base64,`));
    await Deno.writeTextFile(`${dir}/rich.yaml`, scenario(3, 0.05));
    report = await runScenarios([`${dir}/rich.yaml`], { python: TEST_PYTHON });
    equal(report.failed, 0, formatPretty(report));
    ok(!await exists(`${dir}/plots/square.actual.png`), "a passing comparison removes them");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--update writes a missing or differing snapshot; the scenario file is unchanged", async () => {
  const dir = await scenarioDir({ "rich.yaml": scenario(5) });
  try {
    let report = await runScenarios([`${dir}/rich.yaml`], { python: TEST_PYTHON });
    equal(report.failed, 1);
    ok(report.scenarios[0].steps[0].failures[0].message.includes("does not exist"));
    const before = await Deno.readTextFile(`${dir}/rich.yaml`);
    report = await runScenarios([`${dir}/rich.yaml`], { python: TEST_PYTHON, update: true });
    equal(report.failed, 0, formatPretty(report));
    equal(report.scenarios[0].updated, true);
    equal(await Deno.readTextFile(`${dir}/rich.yaml`), before);
    deepStrictEqual(await Deno.readFile(`${dir}/plots/square.png`), png(10, 10, 5));
    ok(!await exists(`${dir}/plots/square.actual.png`));
    report = await runScenarios([`${dir}/rich.yaml`], { python: TEST_PYTHON });
    equal(report.failed, 0, formatPretty(report));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("display: counts and text matchers report what was shown", async () => {
  const dir = await scenarioDir({
    "text.yaml": `steps:
  - exec: |
      display("one"); display({"application/json": {"a": [1, 2]}}, raw=True)
    expect:
      display:
        - text/plain: { matches: "^'on" }
        - application/json: { a: [1, 3] }
        - text/html: x
`,
  });
  try {
    const report = await runScenarios([`${dir}/text.yaml`], { python: TEST_PYTHON });
    const messages = report.scenarios[0].steps[0].failures.map((f) => f.message);
    deepStrictEqual(messages, [
      "expected 3 display(s), got 2",
      "display 2: application/json differs",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a snapshot expectation without a file name is a validation error at its line", async () => {
  const dir = await scenarioDir({
    "bad.yaml":
      `steps:\n  - exec: "1"\n    expect:\n      display:\n        - image/png: { tolerance: 2 }\n`,
  });
  try {
    let error: unknown;
    try {
      await loadScenario(`${dir}/bad.yaml`);
    } catch (e) {
      error = e;
    }
    ok(error instanceof ScenarioValidationError, String(error));
    ok(error.message.includes("bad.yaml:5"), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareSnapshot: another size fails without a diff image; snapshotSibling names", () => {
  equal(snapshotSibling("/a/b/hist.png", "diff"), "/a/b/hist.diff.png");
  equal(snapshotSibling("/a.b/hist", "actual"), "/a.b/hist.actual");
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeFileSync(`${dir}/s.png`, png(4, 4));
    const verdict = compareSnapshot(png(4, 5), `${dir}/s.png`, 0.5);
    equal(verdict.ok, false);
    equal(verdict.reason, `the image is 4x5, snapshot ${dir}/s.png is 4x4`);
    equal(verdict.diffFile, undefined);
    equal(verdict.actualFile, `${dir}/s.actual.png`);
    equal(compareSnapshot(png(4, 4, 1), `${dir}/s.png`, 1 / 16).ok, true);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
