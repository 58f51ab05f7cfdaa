/**
 * The CI reporter: JUnit XML, as read by GitLab, Jenkins, GitHub test-report actions.
 *
 * One `<testsuite>` per directory of scenario files, with `<properties>` (the Python and PyREPL3
 * versions, the hash seed), and one `<testcase>` per scenario: its `file` and `line` (the first
 * failing step's, else 1), and a `<failure>` (the failed steps, their locations and diffs, as
 * plain text) or a `<skipped>`.
 *
 * @module
 */

import { dirname } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { failedSteps, scenarioOutcome, stepMessages, toSeconds } from "./_format.ts";
import type { RunReport, ScenarioReport } from "./model.ts";
import { prettyFailure } from "./pretty.ts";

/**
 * The report as a JUnit XML document.
 *
 * @example
 * ```ts
 * import { formatJunit } from "./junit.ts";
 * const xml = formatJunit({ scenarios: [], passed: 0, failed: 0, durationMs: 0, startedAt: "" });
 * if (!xml.includes('<testsuites name="pyrepl3" tests="0"')) throw new Error(xml);
 * ```
 */
export function formatJunit(report: RunReport): string {
  const suites = groupByDirectory(report.scenarios);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attributes({ name: "pyrepl3", ...counts(report.scenarios) })}` +
    `${attributes({ time: toSeconds(report.durationMs), timestamp: report.startedAt })}>`,
  ];
  for (const [directory, scenarios] of suites) {
    const time = scenarios.reduce((sum, s) => sum + s.durationMs, 0);
    lines.push(
      `  <testsuite${attributes({ name: directory, ...counts(scenarios) })}` +
        `${attributes({ time: toSeconds(time), timestamp: report.startedAt })}>`,
    );
    lines.push(
      `    <properties>`,
      ...properties(report).map(([name, value]) =>
        `      <property${attributes({ name, value })}/>`
      ),
      `    </properties>`,
    );
    for (const scenario of scenarios) for (const line of testcase(scenario)) lines.push(line);
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`);
  return lines.join("\n") + "\n";
}

/** What a failure depends on besides the scenario: where it ran. */
function properties(report: RunReport): [string, string][] {
  return [
    ...(report.pythonVersion === undefined
      ? []
      : [["python_version", report.pythonVersion] as [string, string]]),
    // The seed replays a failure that depends on set or dict order (`--hash-seed N`).
    ...(report.hashSeed === undefined
      ? []
      : [["hash_seed", String(report.hashSeed)] as [string, string]]),
    ["pyrepl3_version", denoJson.version],
  ];
}

function testcase(scenario: ScenarioReport): string[] {
  const open = `    <testcase${
    attributes({
      name: scenario.name,
      classname: scenario.file,
      file: scenario.file,
      line: String(failedSteps(scenario)[0]?.line ?? 1),
      time: toSeconds(scenario.durationMs),
    })
  }`;
  switch (scenarioOutcome(scenario)) {
    case "passed":
      return [`${open}/>`];
    case "skipped":
      return [
        `${open}>`,
        `      <skipped${attributes({ message: "every step was skipped" })}/>`,
        `    </testcase>`,
      ];
    case "failed": {
      const steps = failedSteps(scenario);
      const first = steps[0];
      const message = first === undefined
        ? "scenario failed"
        : `${scenario.file}:${first.line}:${first.column}: ${
          stepMessages(first)[0] ?? "step failed"
        }`;
      const type = first?.failures[0]?.key ?? (first?.error !== undefined ? "error" : "failure");
      return [
        `${open}>`,
        `      <failure${attributes({ message, type })}>${
          escapeText(prettyFailure(scenario))
        }</failure>`,
        `    </testcase>`,
      ];
    }
  }
}

function counts(scenarios: ScenarioReport[]): Record<string, string> {
  const outcomes = scenarios.map(scenarioOutcome);
  return {
    tests: String(scenarios.length),
    failures: String(outcomes.filter((o) => o === "failed").length),
    errors: "0",
    skipped: String(outcomes.filter((o) => o === "skipped").length),
  };
}

function groupByDirectory(scenarios: ScenarioReport[]): Map<string, ScenarioReport[]> {
  const groups = new Map<string, ScenarioReport[]>();
  for (const scenario of scenarios) {
    const directory = dirname(scenario.file);
    const group = groups.get(directory) ?? [];
    group.push(scenario);
    groups.set(directory, group);
  }
  return groups;
}

function attributes(values: Record<string, string>): string {
  return Object.entries(values).map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`).join(
    "",
  );
}

// XML 1.0 cannot carry most control characters (not even as references) nor lone surrogates;
// Python output often holds them (ANSI colours), so they become visible `\xHH` text.
const INVALID_XML =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function printable(text: string): string {
  return text.replace(INVALID_XML, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Escapes text content. */
export function escapeText(text: string): string {
  return printable(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes an attribute value (quotes, and line breaks that parsers would fold to spaces). */
export function escapeAttribute(text: string): string {
  return escapeText(text)
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}
