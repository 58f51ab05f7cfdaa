import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { escapeAttribute, escapeText, formatJunit } from "../lib/report/junit.ts";
import { fixtureReport } from "./_helpers/report_fixture.ts";

type Node = Record<string, unknown>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  isArray: (name) => ["testsuite", "testcase"].includes(name),
});

function parsed(): { testsuites: Node & { testsuite: (Node & { testcase: Node[] })[] } } {
  const xml = formatJunit(fixtureReport());
  equal(XMLValidator.validate(xml), true);
  return parser.parse(xml);
}

Deno.test("junit has testsuites with the run's counts, time and timestamp", () => {
  const root = parsed().testsuites;
  equal(root["@tests"], "4");
  equal(root["@failures"], "2");
  equal(root["@skipped"], "1");
  equal(root["@errors"], "0");
  equal(root["@time"], "2.701");
  equal(root["@timestamp"], "2024-05-01T10:00:00.000Z");
});

Deno.test("junit groups scenarios into a testsuite per directory", () => {
  const suites = parsed().testsuites.testsuite;
  deepStrictEqual(suites.map((s) => s["@name"]), ["scenarios", "scenarios/sub"]);
  deepStrictEqual(suites.map((s) => s.testcase.length), [3, 1]);
  deepStrictEqual(suites.map((s) => s["@tests"]), ["3", "1"]);
  deepStrictEqual(suites.map((s) => s["@failures"]), ["1", "1"]);
  equal(suites[0]["@time"], "2.620");
});

Deno.test("junit testcases carry name, file, time and failure or skipped elements", () => {
  const [top, sub] = parsed().testsuites.testsuite;
  const [greeting, crash, later] = top.testcase;
  equal(greeting["@name"], "greeting");
  equal(greeting["@file"], "scenarios/greet.yaml");
  equal(greeting["@time"], "0.120");
  equal(greeting.failure, undefined);
  const crashFailure = crash.failure as Node;
  equal(crashFailure["@message"], "scenarios/crash.yaml:4:3: no checkpoint named nope");
  equal(crashFailure["@type"], "error");
  ok(later.skipped !== undefined);
  const math = sub.testcase[0];
  equal(math["@name"], `math "quick" & <fast> # 1`, "the escaped name parses back");
  const failure = math.failure as Node;
  equal(failure["@type"], "stdout");
  equal(failure["@message"], "scenarios/sub/math.yaml:12:5: stdout differs");
  match(String(failure["#text"]), /scenarios\/sub\/math\.yaml:12:5/);
});

Deno.test("junit escapes markup and makes control characters visible", () => {
  const xml = formatJunit(fixtureReport());
  ok(!xml.includes("\x1b"), "no raw escape character in the XML");
  ok(xml.includes("\\x1b[31mtwo"));
  equal(escapeText(`a<b>&"c"`), `a&lt;b&gt;&amp;"c"`);
  equal(escapeAttribute(`a"b'\n<`), "a&quot;b&apos;&#10;&lt;");
  equal(escapeText("x\x00y\ud800z"), "x\\x00y\\xd800z");
});

Deno.test("junit testcases carry the line of their first failing step, else 1", () => {
  const [top, sub] = parsed().testsuites.testsuite;
  deepStrictEqual(top.testcase.map((c) => [c["@file"], c["@line"]]), [
    ["scenarios/greet.yaml", "1"],
    ["scenarios/crash.yaml", "4"],
    ["scenarios/later.yaml", "1"],
  ]);
  deepStrictEqual([sub.testcase[0]["@file"], sub.testcase[0]["@line"]], [
    "scenarios/sub/math.yaml",
    "12",
  ]);
});

Deno.test("junit properties give the Python version, the hash seed and the PyREPL3 version", async () => {
  const { default: denoJson } = await import("../deno.json", { with: { type: "json" } });
  const xml = formatJunit({ ...fixtureReport(), pythonVersion: "3.12.1", hashSeed: 7 });
  const suites = parser.parse(xml).testsuites.testsuite as Node[];
  for (const suite of suites) {
    const property = (suite.properties as Node).property as Node[];
    deepStrictEqual(property.map((p) => [p["@name"], p["@value"]]), [
      ["python_version", "3.12.1"],
      ["hash_seed", "7"],
      ["pyrepl3_version", denoJson.version],
    ]);
  }
});
