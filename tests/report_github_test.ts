import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { parseCommand } from "../lib/cli/args.ts";
import { escapeData, escapeProperty, formatGithub, githubSummary } from "../lib/report/github.ts";
import { createReporter } from "../lib/report/reporters.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { CRASHED, FAILED, fixtureReport } from "./_helpers/report_fixture.ts";

/** The decoding GitHub applies to a command's message and properties. */
function unescape(text: string): string {
  return text.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%3A/g, ":").replace(/%2C/g, ",")
    .replace(/%25/g, "%");
}

Deno.test("workflow commands escape %, CR and LF in messages, and also : and , in properties", () => {
  equal(escapeData("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
  equal(escapeProperty("50% a:b,c\r\nd"), "50%25 a%3Ab%2Cc%0D%0Ad");
  // %3A in the input must survive the round trip, not turn into a colon.
  equal(unescape(escapeProperty("literal %3A, real :")), "literal %3A, real :");
});

Deno.test("the github reporter prints one ::error per failing step, at its file and line", () => {
  const out = formatGithub(fixtureReport());
  const lines = out.trimEnd().split("\n");
  ok(lines.every((line) => line.startsWith("::error ")), out);
  const parsed = lines.map((line) => {
    const m = /^::error ([^:]*)::(.*)$/.exec(line)!;
    const props = Object.fromEntries(
      m[1].split(",").map((p) => p.split("=")).map(([k, v]) => [k, unescape(v)]),
    );
    return { props, message: unescape(m[2]) };
  });
  const failed = parsed.find((p) => p.props.file === FAILED.file)!;
  deepStrictEqual(failed.props, {
    file: "scenarios/sub/math.yaml",
    line: "12",
    title: `${FAILED.name}: step 2 (exec) failed`,
  });
  match(failed.message, /^stdout: stdout differs\n/);
  match(failed.message, /value: value differs/);
  const crashed = parsed.find((p) => p.props.file === CRASHED.file)!;
  equal(crashed.props.line, "4");
  equal(crashed.message, "no checkpoint named nope");
  equal(parsed.length, 2, "passed and skipped scenarios are not annotated");
});

Deno.test("the github summary is a Markdown table, failed scenarios first with file:line", () => {
  const md = githubSummary(fixtureReport());
  match(md, /^### pyrepl3: \d+ scenarios: \d+ passed, 2 failed/);
  const rows = md.split("\n").filter((line) => line.startsWith("| ❌") || line.startsWith("| ✅"));
  match(rows[0], /^\| ❌ \| math "quick" & <fast> # 1 \| `scenarios\/sub\/math\.yaml:12` \|/);
  match(rows.at(-1)!, /^\| ✅ \| greeting \|/);
});

Deno.test("the github reporter appends its summary to GITHUB_STEP_SUMMARY's file", async () => {
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, "earlier step\n");
  const out: string[] = [];
  createReporter("github", (t) => out.push(t), { githubStepSummary: file })
    .runDone(fixtureReport());
  const text = await Deno.readTextFile(file);
  ok(text.startsWith("earlier step\n### pyrepl3:"), text);
  match(out.join(""), /^::error file=/);
  await Deno.remove(file);
});

Deno.test("in GitHub Actions the github reporter is added beside pretty on stdout", () => {
  const reporters = (args: string[], githubActions: boolean) => {
    const command = parseCommand(["s/", ...args], { githubActions });
    return command.kind === "run" ? command.options.reporters.map((r) => r.name) : [];
  };
  deepStrictEqual(reporters([], true), ["pretty", "github"]);
  deepStrictEqual(reporters([], false), ["pretty"]);
  deepStrictEqual(reporters(["--output", "junit=x.xml"], true), ["pretty", "junit", "github"]);
  deepStrictEqual(reporters(["--reporter", "dot"], true), ["dot"]);
  deepStrictEqual(reporters(["--reporter", "pretty"], true), ["pretty", "github"]);
  deepStrictEqual(reporters(["-r", "junit:x.xml"], true), ["pretty", "junit", "github"]);
  deepStrictEqual(reporters(["-r", "json"], true), ["json"]);
  deepStrictEqual(reporters(["-r", "pretty:p.txt", "-r", "tap"], true), ["pretty", "tap"]);
  deepStrictEqual(reporters(["--reporter", "github"], false), ["pretty", "github"]);
  deepStrictEqual(reporters(["--reporter", "dot", "--reporter", "github"], false), [
    "dot",
    "github",
  ]);
});

Deno.test("a CLI run under GITHUB_ACTIONS=true annotates the failing step and writes the summary", async () => {
  const dir = await tempScenarios({
    "bad.yaml": `name: wrong sum\nsteps:\n  - exec: "1 + 1"\n    expect: { value: 3 }\n`,
  });
  const summary = `${dir}/summary.md`;
  const run = await runCli([`${dir}/bad.yaml`], {
    env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary },
  });
  equal(run.code, 1, run.stderr);
  match(run.stdout, /✗ wrong sum/);
  match(
    run.stdout,
    /^::error file=[^,]*bad\.yaml,line=3,title=wrong sum%3A step 1 \(exec\) failed::value: /m,
  );
  match(await Deno.readTextFile(summary), /\| ❌ \| wrong sum \| `[^`]*bad\.yaml:3` \|/);
  await Deno.remove(dir, { recursive: true });
});
