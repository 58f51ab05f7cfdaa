import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { parseCommand, UsageError } from "../lib/cli/args.ts";
import { formatJunit } from "../lib/report/junit.ts";
import { JunitMergeError, mergeJunit } from "../lib/report/junit_merge.ts";
import type { RunReport, ScenarioReport } from "../lib/report/model.ts";
import { PyReplError } from "../lib/errors.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { CRASHED, FAILED, fixtureReport, PASSED, SKIPPED } from "./_helpers/report_fixture.ts";

type Node = Record<string, unknown>;
type Suite = Node & { testcase?: Node[] };
type Parsed = { testsuites: Node & { testsuite?: Suite[] } };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  isArray: (name) => ["testsuite", "testcase"].includes(name),
});

function parse(xml: string): Parsed {
  equal(XMLValidator.validate(xml), true, xml);
  return parser.parse(xml);
}

/** The testsuites, their counts and their testcases (sorted), without the run's own timing. */
function structure(xml: string) {
  const root = parse(xml).testsuites;
  const counts = (node: Node) =>
    ["@tests", "@failures", "@errors", "@skipped"].map((key) => node[key]);
  const byKey = (a: Node, b: Node) =>
    `${a["@classname"]}\0${a["@name"]}` < `${b["@classname"]}\0${b["@name"]}` ? -1 : 1;
  return {
    name: root["@name"],
    counts: counts(root),
    suites: (root.testsuite ?? []).map((suite) => ({
      name: suite["@name"],
      counts: counts(suite),
      time: suite["@time"],
      testcases: [...(suite.testcase ?? [])].sort(byKey),
    })),
  };
}

function shardReport(scenarios: ScenarioReport[], startedAt: string): RunReport {
  const failed = scenarios.filter((s) => s.status === "failed").length;
  const durationMs = scenarios.reduce((sum, s) => sum + s.durationMs, 0);
  return { scenarios, passed: scenarios.length - failed, failed, durationMs, startedAt };
}

const SHARD_1 = formatJunit(shardReport([PASSED, FAILED], "2024-05-01T10:00:00.000Z"));
const SHARD_2 = formatJunit(shardReport([CRASHED, SKIPPED], "2024-05-01T10:00:01.000Z"));

Deno.test("merging two shards' reports gives the whole run's testsuites, testcases and counts", () => {
  const merged = mergeJunit([SHARD_1, SHARD_2]);
  deepStrictEqual(structure(merged), structure(formatJunit(fixtureReport())));
  const root = parse(merged).testsuites;
  equal(root["@time"], "2.700", "the sum of the testcases' times");
  equal(root["@timestamp"], "2024-05-01T10:00:00.000Z", "the earliest shard's start");
});

Deno.test("merged testcases keep their failure and skipped children verbatim", () => {
  const merged = mergeJunit([SHARD_1, SHARD_2]);
  const whole = formatJunit(fixtureReport());
  for (const name of ["crash", `math "quick" & <fast> # 1`, "later"]) {
    const find = (xml: string) =>
      (parse(xml).testsuites.testsuite ?? []).flatMap((s) => s.testcase ?? [])
        .find((testcase) => testcase["@name"] === name);
    deepStrictEqual(find(merged), find(whole));
  }
  ok(merged.includes(`name="math &quot;quick&quot; &amp; &lt;fast&gt; # 1"`), "escaped again");
  ok(merged.includes("+\\x1b[31mtwo"), "the visible escape stays text");
});

Deno.test("the merge is the same whatever the order of the shards", () => {
  const shards = [
    formatJunit(shardReport([PASSED], "2024-05-01T10:00:00.000Z")),
    formatJunit(shardReport([FAILED, SKIPPED], "2024-05-01T10:00:02.000Z")),
    formatJunit(shardReport([CRASHED], "2024-05-01T10:00:01.000Z")),
  ];
  const expected = mergeJunit(shards);
  equal(mergeJunit([shards[2], shards[0], shards[1]]), expected);
  equal(mergeJunit([shards[1], shards[2], shards[0]]), expected);
  const names = (parse(expected).testsuites.testsuite ?? [])
    .map((suite) => (suite.testcase ?? []).map((testcase) => testcase["@classname"]));
  deepStrictEqual(names, [
    ["scenarios/crash.yaml", "scenarios/greet.yaml", "scenarios/later.yaml"],
    ["scenarios/sub/math.yaml"],
  ]);
});

Deno.test("line breaks in attributes survive the merge as character references", () => {
  const withBreak = { ...CRASHED, steps: [{ ...CRASHED.steps[0], error: "line 1\nline 2" }] };
  const merged = mergeJunit([formatJunit(shardReport([withBreak], "t"))]);
  match(merged, /message="scenarios\/crash\.yaml:4:3: line 1&#10;line 2"/);
});

Deno.test("a testcase in two inputs is an error naming both", () => {
  throws(
    () => mergeJunit([SHARD_1, SHARD_2, SHARD_1], { names: ["a.xml", "b.xml", "c.xml"] }),
    (e: unknown) =>
      e instanceof JunitMergeError && e instanceof PyReplError &&
      /testcase "greeting" \(classname "scenarios\/greet\.yaml"\) is in both a\.xml and c\.xml/
        .test(e.message),
  );
});

for (
  const [what, text, message] of [
    ["malformed XML", "<testsuites><testsuite></testsuites>", /^bad\.xml:1:\d+: not well-formed/],
    ["an empty file", "", /^bad\.xml(:\d+)*: not well-formed/],
    ["a root that is not JUnit", "<html/>", /^bad\.xml: the root element is <html>/],
  ] as const
) {
  Deno.test(`${what} is a JunitMergeError naming the input`, () => {
    throws(
      () => mergeJunit([SHARD_1, text], { names: ["good.xml", "bad.xml"] }),
      (e: unknown) => e instanceof JunitMergeError && message.test(e.message),
    );
  });
}

Deno.test("merge-junit parses an output and at least one input, and no options", () => {
  deepStrictEqual(parseCommand(["merge-junit", "-", "a.xml", "b.xml"]), {
    kind: "merge-junit",
    options: { output: "-", inputs: ["a.xml", "b.xml"] },
  });
  for (const args of [["merge-junit"], ["merge-junit", "out.xml"]]) {
    throws(
      () => parseCommand(args),
      (e: unknown) => e instanceof UsageError && /at least one input/.test(e.message),
    );
  }
  throws(
    () => parseCommand(["merge-junit", "out.xml", "a.xml", "--bail"]),
    (e: unknown) => e instanceof UsageError && /merge-junit does not take --bail/.test(e.message),
  );
});

const PASS = (n: number) =>
  `name: scenario ${n}
steps:
  - exec: ${n} + 1
    expect: { value: ${n + 1} }
`;
const FAIL = `name: scenario 4
steps:
  - exec: print("one")
    expect:
      stdout: "two\\n"
`;

Deno.test("cli: two --shard runs merged by merge-junit make one report of 4 testcases", async () => {
  const dir = await tempScenarios({
    "s1.yaml": PASS(1),
    "s2.yaml": PASS(2),
    "s3.yaml": PASS(3),
    "s4.yaml": FAIL,
  });
  try {
    const codes = [];
    for (const shard of ["1/2", "2/2"]) {
      const file = `${dir}/out/junit-${shard[0]}.xml`;
      const run = await runCli([dir, "--shard", shard, "--reporter", `junit:${file}`]);
      codes.push(run.code);
      equal(parse(await Deno.readTextFile(file)).testsuites["@tests"], "2", "4 split in 2");
    }
    deepStrictEqual(codes.sort(), [0, 1], "one shard holds the failing scenario");
    const out = `${dir}/out/merged.xml`;
    const merge = await runCli([
      "merge-junit",
      out,
      `${dir}/out/junit-2.xml`,
      `${dir}/out/junit-1.xml`,
    ]);
    equal(merge.code, 0, merge.stderr);
    equal(merge.stdout, "");
    const root = parse(await Deno.readTextFile(out)).testsuites;
    deepStrictEqual(
      [root["@tests"], root["@failures"], root["@errors"], root["@skipped"]],
      ["4", "1", "0", "0"],
    );
    const suites = root.testsuite ?? [];
    equal(suites.length, 1, "one directory, one testsuite");
    deepStrictEqual(suites[0]["@tests"], "4");
    deepStrictEqual(suites[0]["@failures"], "1");
    deepStrictEqual(
      (suites[0].testcase ?? []).map((t) => [t["@name"], t.failure !== undefined]),
      [["scenario 1", false], ["scenario 2", false], ["scenario 3", false], ["scenario 4", true]],
    );
    const toStdout = await runCli(["merge-junit", "-", `${dir}/out/junit-1.xml`]);
    equal(toStdout.code, 0, toStdout.stderr);
    equal(parse(toStdout.stdout).testsuites["@tests"], "2");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: merge-junit exits 2 naming a missing or unparsable input", async () => {
  const dir = await tempScenarios({ "good.xml": SHARD_1, "bad.xml": "<testsuites><oops>" });
  try {
    const bad = await runCli([
      "merge-junit",
      `${dir}/out.xml`,
      `${dir}/good.xml`,
      `${dir}/bad.xml`,
    ]);
    equal(bad.code, 2);
    match(bad.stderr, /bad\.xml:\d+:\d+: not well-formed XML/);
    ok(!/\n\s+at /.test(bad.stderr), bad.stderr);
    const selfOverwrite = await runCli(["merge-junit", `${dir}/good.xml`, `${dir}/good.xml`]);
    equal(selfOverwrite.code, 2);
    match(selfOverwrite.stderr, /the output .*good\.xml is also an input/);
    const missing = await runCli(["merge-junit", `${dir}/out.xml`, `${dir}/nope.xml`]);
    equal(missing.code, 2);
    match(missing.stderr, /cannot read .*nope\.xml: no such file/);
    const duplicate = await runCli([
      "merge-junit",
      `${dir}/out.xml`,
      `${dir}/good.xml`,
      `${dir}/good.xml`,
    ]);
    equal(duplicate.code, 2);
    match(duplicate.stderr, /is in both .*good\.xml and .*good\.xml/);
    await Deno.stat(`${dir}/out.xml`).then(
      () => ok(false, "no output after an error"),
      (error) => ok(error instanceof Deno.errors.NotFound),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
