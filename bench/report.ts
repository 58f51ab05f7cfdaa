/**
 * The HTML report's cost: `formatHtml()` of a synthetic run of 5,000 steps (500 scenarios of 10
 * steps, one scenario in ten failed with a 20-line stdout diff and a one-line value diff), time
 * p50/p99 and size, beside `formatJson()` of the same report as the baseline (the HTML embeds
 * that JSON, so the ratio is what the page around it costs).
 *
 * Run: `npx -y deno@2.9.6 run -A bench/report.ts` (~10 s).
 *
 * @module
 */
import { formatHtml } from "../lib/report/html.ts";
import { formatJson } from "../lib/report/json.ts";
import type { RunReport, ScenarioReport, StepReport } from "../lib/report/model.ts";
import {
  ms,
  note,
  printHeader,
  printTables,
  ratio,
  type Row,
  sample,
  summarize,
} from "./_bench.ts";

const SCENARIOS = 500;
const STEPS = 10;
const RUNS = { warmup: 3, iterations: 30 };
const TARGET_MS = 200;
const TARGET_MIB = 10;
const MiB = 2 ** 20;

function step(s: number, i: number, failed: boolean): StepReport {
  const code = `values_${i} = [n * ${i} for n in range(20)]\nfor v in values_${i}:\n    print(v)`;
  const expected = Array.from({ length: 20 }, (_, n) => `${n * i}\n`).join("");
  const actual = expected.replace(`\n${5 * i}\n`, `\n${5 * i + 1}\n`);
  return {
    index: i,
    kind: "exec",
    label: `values_${i} = [n * ${i} for n in range(20)] ...`,
    code,
    ...(i % 4 === 0 ? { inputs: [`name ${s}`] } : {}),
    line: 3 + i * 6,
    column: 5,
    status: failed ? "failed" : "passed",
    durationMs: 1 + (i % 7),
    failures: failed
      ? [
        { kind: "stdout", key: "stdout", message: "stdout differs", expected, actual },
        { kind: "value", key: "value", message: "value differs", expected: "41", actual: "42" },
      ]
      : [],
    actual: { status: "ok", stdout: failed ? actual : expected, stderr: "" },
  };
}

function syntheticReport(): RunReport {
  const scenarios: ScenarioReport[] = [];
  for (let s = 0; s < SCENARIOS; s++) {
    const failing = s % 10 === 3;
    const steps = Array.from({ length: STEPS }, (_, i) => step(s, i, failing && i === 5));
    scenarios.push({
      name: `scenario ${s}`,
      file: `scenarios/group_${s % 20}/scenario_${s}.yaml`,
      tags: ["bench"],
      status: failing ? "failed" : "passed",
      durationMs: steps.reduce((n, x) => n + x.durationMs, 0),
      steps,
      hashSeed: 0,
    });
  }
  const failed = scenarios.filter((s) => s.status === "failed").length;
  return {
    scenarios,
    passed: SCENARIOS - failed,
    failed,
    durationMs: 60_000,
    startedAt: new Date(0).toISOString(),
    hashSeed: 0,
  };
}

await printHeader(`PyREPL3 HTML report: ${SCENARIOS * STEPS} steps`);
const report = syntheticReport();
const bytes = (text: string) => new TextEncoder().encode(text).length;
note("timing formatHtml()");
let html = "";
const htmlTimes = summarize(await sample(() => Promise.resolve(html = formatHtml(report)), RUNS));
note("timing formatJson()");
let json = "";
const jsonTimes = summarize(await sample(() => Promise.resolve(json = formatJson(report)), RUNS));
const htmlMiB = bytes(html) / MiB;
const jsonMiB = bytes(json) / MiB;

const rows: Row[] = [
  {
    measure: `formatHtml() of ${SCENARIOS * STEPS} steps (p50 / p99 of ${RUNS.iterations})`,
    ours: `${ms(htmlTimes.p50)} / ${ms(htmlTimes.p99)}`,
    baseline: "formatJson() of the same report",
    baselineValue: `${ms(jsonTimes.p50)} / ${ms(jsonTimes.p99)}`,
    ratio: ratio(htmlTimes.p50, jsonTimes.p50),
    target: `< ${TARGET_MS} ms`,
    met: htmlTimes.p50 < TARGET_MS ? "yes" : "no",
  },
  {
    measure: "size of the report file",
    ours: `${htmlMiB.toFixed(2)} MiB`,
    baseline: "the JSON report",
    baselineValue: `${jsonMiB.toFixed(2)} MiB`,
    ratio: ratio(htmlMiB, jsonMiB),
    target: `< ${TARGET_MIB} MiB`,
    met: htmlMiB < TARGET_MIB ? "yes" : "no",
  },
];
printTables(rows, [
  `${report.failed} of ${SCENARIOS} scenarios failed, each with a 20-line stdout diff marked ` +
  `character by character; the HTML embeds the JSON report for merge-reports.`,
]);
