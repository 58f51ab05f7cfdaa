/**
 * Reproducible by default: interpreters of a scenario run start with a fixed PYTHONHASHSEED,
 * settable with `hash_seed:` and `--hash-seed N|random`, and every report names it.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { runCli, tempScenarios } from "./_helpers/cli.ts";

const SET_ORDER = `name: set order
steps:
  - exec: print({'apple', 'banana', 'cherry', 'date', 'elder'})
    expect: { stdout: "recorded elsewhere" }
`;

function seedScenario(fileSeed?: number | string): string {
  return `name: seed
${fileSeed === undefined ? "" : `hash_seed: ${fileSeed}\n`}steps:
  - exec: import os; print(os.environ['PYTHONHASHSEED'])
`;
}

interface JsonReport {
  hashSeed: number;
  scenarios: { hashSeed: number; steps: { actual?: { stdout: string } }[] }[];
}

/** Runs the CLI on `dir` with a JSON report (written outside `dir`, which it would join). */
async function runJson(dir: string, args: string[]) {
  const out = await Deno.makeTempDir({ prefix: "pyrepl3_report_" });
  const run = await runCli([dir, "--reporter", `json:${out}/report.json`, ...args]);
  const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`)) as JsonReport;
  await Deno.remove(out, { recursive: true });
  return { run, report };
}

Deno.test("regression: a set-printing scenario gives one verdict in 5 fresh CLI processes", async () => {
  const dir = await tempScenarios({ "set.yaml": SET_ORDER });
  const outputs = new Set<string>();
  const codes = new Set<number>();
  for (let i = 0; i < 5; i++) {
    const { run, report } = await runJson(dir, []);
    codes.add(run.code);
    outputs.add(report.scenarios[0].steps[0].actual!.stdout);
    equal(report.hashSeed, 0);
  }
  deepStrictEqual([...codes], [1]);
  equal(outputs.size, 1, [...outputs].join(" | "));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hash_seed: in a file sets the interpreters' PYTHONHASHSEED; --hash-seed overrides it", async () => {
  const dir = await tempScenarios({ "seed.yaml": seedScenario(7) });
  const own = await runJson(dir, []);
  equal(own.run.code, 0, own.run.stderr);
  equal(own.report.scenarios[0].steps[0].actual!.stdout, "7\n");
  equal(own.report.scenarios[0].hashSeed, 7);
  const overridden = await runJson(dir, ["--hash-seed", "3"]);
  equal(overridden.report.scenarios[0].steps[0].actual!.stdout, "3\n");
  equal(overridden.report.hashSeed, 3);
  match(overridden.run.stdout, /1 scenario: 1 passed, 0 failed \(.*\), hash seed 3\n/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--hash-seed random picks one seed for the run and every report prints it", async () => {
  const dir = await tempScenarios({ "a.yaml": seedScenario(), "b.yaml": seedScenario(5) });
  const { run, report } = await runJson(dir, [
    "--hash-seed",
    "random",
    "--reporter",
    `junit:${dir}.xml`,
  ]);
  equal(run.code, 0, run.stderr);
  const seed = report.hashSeed;
  ok(Number.isInteger(seed));
  const printed = report.scenarios.map((s) => s.steps[0].actual!.stdout);
  deepStrictEqual(printed, [`${seed}\n`, `${seed}\n`]);
  if (seed !== 0) match(run.stdout, new RegExp(`hash seed ${seed}\\n`));
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" })
    .parse(await Deno.readTextFile(`${dir}.xml`));
  await Deno.remove(`${dir}.xml`);
  const properties: { name: string; value: string }[] =
    xml.testsuites.testsuite.properties.property;
  deepStrictEqual(properties.find((p) => p.name === "hash_seed"), {
    name: "hash_seed",
    value: String(seed),
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--hash-seed refuses what is not a seed", async () => {
  for (const bad of ["-1", "4294967296", "1.5", "x"]) {
    const run = await runCli(["scenarios/", `--hash-seed=${bad}`]);
    equal(run.code, 2);
    match(run.stderr, /--hash-seed: expected a whole number from 0 to 4294967295 or "random"/);
  }
});

Deno.test("hash_seed: that is no seed is a file error at its line", async () => {
  const dir = await tempScenarios({ "bad.yaml": seedScenario("'often'") });
  const run = await runCli([dir]);
  equal(run.code, 2);
  match(run.stderr, /bad\.yaml:2:12: 'hash_seed': expected a hash seed/);
  await Deno.remove(dir, { recursive: true });
});
