import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { formatJson } from "../lib/report/json.ts";
import { formatJunit } from "../lib/report/junit.ts";
import type { RunReport, ScenarioReport } from "../lib/report/model.ts";
import { selectScenarios } from "../lib/scenario/select.ts";
import {
  balanceShards,
  durationKey,
  DurationsReportError,
  parseDurations,
} from "../lib/scenario/shard_durations.ts";
import type { Scenario } from "../lib/scenario/types.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

/** 1 slow scenario (20 s) and 40 fast ones (1 s), the slow one first in file order. */
function synthetic(): { scenarios: Scenario[]; report: RunReport } {
  const names = ["a_slow", ...Array.from({ length: 40 }, (_, i) => `b_fast_${i + 10}`)];
  const reports: ScenarioReport[] = names.map((name) => ({
    name,
    file: `scenarios/${name}.yaml`,
    tags: [],
    status: "passed",
    durationMs: name === "a_slow" ? 20_000 : 1_000,
    steps: [],
  }));
  const scenarios = reports.map((r) =>
    ({ name: r.name, file: r.file, tags: [] }) as unknown as Scenario
  );
  const report = { scenarios: reports, passed: 41, failed: 0, durationMs: 60_000, startedAt: "" };
  return { scenarios, report };
}

function shardSums(scenarios: Scenario[], durations: ReadonlyMap<string, number> | undefined) {
  const real = parseDurations(formatJson(synthetic().report));
  return [1, 2, 3, 4].map((index) =>
    selectScenarios(scenarios, { shard: { index, total: 4 }, durations })
      .reduce((sum, s) => sum + real.get(durationKey(s))!, 0)
  );
}

Deno.test("time-balanced shards of 1 slow + 40 fast scenarios are within 10% of the optimum; count-based ones are not", () => {
  const { scenarios, report } = synthetic();
  // Optimum: the slow scenario alone (20 s) is a lower bound, and 60 s / 4 = 15 s fits beside it.
  const optimum = 20_000;
  for (const text of [formatJson(report), formatJunit(report)]) {
    const balanced = Math.max(...shardSums(scenarios, parseDurations(text)));
    ok(balanced <= optimum * 1.1, `balanced slowest shard ${balanced} ms`);
  }
  const byCount = Math.max(...shardSums(scenarios, undefined));
  ok(byCount >= optimum * 1.4, `count-based slowest shard ${byCount} ms`);
});

Deno.test("time-balanced shards put every scenario in exactly one shard, the same way each time", () => {
  const { scenarios, report } = synthetic();
  const durations = parseDurations(formatJson(report));
  const shardsOf = (order: Scenario[]) =>
    [1, 2, 3, 4].map((index) =>
      selectScenarios(order, { shard: { index, total: 4 }, durations }).map((s) => s.name).sort()
    );
  const first = shardsOf(scenarios);
  deepStrictEqual(first.flat().sort(), scenarios.map((s) => s.name).sort());
  deepStrictEqual(shardsOf([...scenarios].reverse()), first);
});

Deno.test("scenarios missing from the durations report count as the median of the known ones", () => {
  const items = ["k1", "k2", "k3", "new1", "new2"].map((name) => ({ file: `${name}.yaml`, name }));
  const durations = new Map([[durationKey(items[0]), 10], [durationKey(items[1]), 30], [
    durationKey(items[2]),
    50,
  ]]);
  const { estimateMs, expectedMs, shards } = balanceShards(items, durations, 2);
  equal(estimateMs.get(items[3]), 30);
  equal(estimateMs.get(items[4]), 30);
  equal(expectedMs.reduce((a, b) => a + b), 150);
  equal(shards.flat().length, 5);
});

Deno.test("a durations report that is neither JSON nor JUnit is refused with what to pass", () => {
  throws(() => parseDurations("hello", "last.txt"), (e: Error) => {
    ok(e instanceof DurationsReportError);
    match(e.message, /^last\.txt: not a JSON or JUnit report/);
    return true;
  });
  throws(() => parseDurations(`{"x": 1}`), DurationsReportError);
});

Deno.test("--list --shard --durations shows each shard's expected duration", async () => {
  const step = `steps:\n  - exec: "1"\n`;
  const dir = await tempScenarios({
    "a.yaml": `name: slow\n${step}`,
    "b.yaml": `name: fast1\n${step}`,
    "c.yaml": `name: fast2\n${step}`,
  });
  const report = {
    scenarios: [["slow", "a.yaml", 4000], ["fast1", "b.yaml", 1000], ["fast2", "c.yaml", 1000]]
      .map(([name, file, durationMs]) => ({ name, file: `${dir}/${file}`, durationMs })),
  };
  await Deno.writeTextFile(`${dir}/last.json`, JSON.stringify(report));
  const run = await runCli([
    `${dir}/a.yaml`,
    `${dir}/b.yaml`,
    `${dir}/c.yaml`,
    "--list",
    "--shard",
    "2/2",
    "--durations",
    `${dir}/last.json`,
  ]);
  equal(run.code, 0, run.stderr);
  match(run.stdout, /^fast1\s+\S+b\.yaml\nfast2\s+\S+c\.yaml\n/);
  match(
    run.stdout,
    /\n {2}shard 1\/2: 1 scenario, expected 4\.00s\n\* shard 2\/2: 2 scenarios, expected 2\.00s\n$/,
  );
  const alone = await runCli([dir, "--list", "--durations", `${dir}/last.json`]);
  equal(alone.code, 2);
  match(alone.stderr, /--durations balances shards by time; give --shard I\/N/);
  await Deno.remove(dir, { recursive: true });
});
