import { equal, match, ok, throws } from "node:assert/strict";
import { htmlDiff } from "../lib/report/_html_diff.ts";
import { formatHtml } from "../lib/report/html.ts";
import { formatJson } from "../lib/report/json.ts";
import type { RunReport } from "../lib/report/model.ts";
import { mergeRunReports, parseReportText, ReportMergeError } from "../lib/report/report_merge.ts";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { CRASHED, FAILED, fixtureReport, PASSED, SKIPPED } from "./_helpers/report_fixture.ts";

Deno.test("the HTML report is self-contained: no external script, stylesheet or URL", () => {
  const html = formatHtml(fixtureReport());
  ok(!/<script[^>]+src=|<link[^>]+href=|https?:\/\//.test(html));
  match(html, /<style>/);
  match(html, /prefers-color-scheme: dark/);
});

Deno.test("the HTML report escapes names and code, and its data survives a </script> in them", () => {
  const report = fixtureReport();
  report.scenarios[0] = { ...PASSED, name: "</script><img src=x onerror=alert(1)>" };
  const html = formatHtml(report);
  ok(!html.includes("<img src=x"));
  match(html, /&lt;\/script&gt;&lt;img src=x/);
  equal(html.match(/<\/script>/g)?.length, 2); // the data's and the code's own ends only
  equal(JSON.stringify(parseReportText(html, "r.html")), JSON.stringify(report));
});

Deno.test("the HTML report shows each failure's message, file:line and a marked diff", () => {
  const html = formatHtml(fixtureReport());
  match(html, /scenarios\/sub\/math\.yaml:12/);
  match(html, /stdout: stdout differs/);
  match(html, /<span class="line del"><span class="sign">-<\/span><del>2<\/del>/);
  match(html, /<span class="line ins"><span class="sign">\+<\/span>.*<ins>.*two/);
  match(html, /no checkpoint named nope/);
  match(html, /2 passed<\/li><li class="failed">2 failed<\/li><li class="skipped">2 steps skipped/);
});

Deno.test("the HTML report shows a crash's stderr tail, the inputs and the whole code", () => {
  const report: RunReport = {
    scenarios: [{
      ...CRASHED,
      steps: [{
        ...CRASHED.steps[0],
        kind: "exec",
        code: "import os\nname = input('who? ')\nos.abort()",
        inputs: ["who? → ada"],
        error: undefined,
        actual: {
          status: "crashed",
          stdout: "",
          stderr: "",
          crash: { exitCode: null, signal: "SIGABRT", stderrTail: "Fatal Python error: Aborted" },
        },
      }],
    }],
    passed: 0,
    failed: 1,
    durationMs: 5,
    startedAt: "",
    hashSeed: 7,
    pythonVersion: "3.12.1",
  };
  const html = formatHtml(report);
  match(
    html,
    /<pre class="code">import os\nname = input\(&#39;who\? &#39;\)\nos\.abort\(\)<\/pre>/,
  );
  match(html, /inputs: <code>who\? → ada<\/code>/);
  match(
    html,
    /killed by signal SIGABRT; its last stderr:.*\n<pre class="stderr">Fatal Python error/,
  );
  match(html, /<li>Python 3\.12\.1<\/li><li>hash seed 7<\/li>/);
});

Deno.test("htmlDiff marks only the changed characters, and a changed line break as ⏎", () => {
  equal(
    htmlDiff("value 41\n", "value 42\n"),
    '<pre class="diff" aria-label="expected (-) against actual (+)">' +
      '<span class="line del"><span class="sign">-</span>value 4<del>1</del>\n</span>' +
      '<span class="line ins"><span class="sign">+</span>value 4<ins>2</ins>\n</span></pre>',
  );
  match(htmlDiff("a", "a\n"), /<ins>⏎<\/ins>/);
  match(htmlDiff("<b>\n", "&\n"), /<del>&lt;b&gt;<\/del>.*<ins>&amp;<\/ins>/s);
});

Deno.test("mergeRunReports adds up the shards; a scenario in two shards is refused", () => {
  const one: RunReport = {
    scenarios: [PASSED, FAILED],
    passed: 1,
    failed: 1,
    durationMs: 300,
    startedAt: "2024-05-01T10:00:02.000Z",
    hashSeed: 3,
  };
  const two: RunReport = {
    scenarios: [CRASHED, SKIPPED],
    passed: 1,
    failed: 1,
    durationMs: 500,
    startedAt: "2024-05-01T10:00:01.000Z",
    hashSeed: 3,
  };
  const merged = mergeRunReports([one, two]);
  equal(
    merged.scenarios.map((s) => s.name).join("|"),
    [PASSED, FAILED, CRASHED, SKIPPED]
      .map((s) => s.name).join("|"),
  );
  equal(merged.passed, 2);
  equal(merged.failed, 2);
  equal(merged.durationMs, 500);
  equal(merged.startedAt, "2024-05-01T10:00:01.000Z");
  equal(merged.hashSeed, 3);
  throws(() => mergeRunReports([one, one], ["a.json", "b.json"]), {
    name: "ReportMergeError",
    message: /scenario "greeting" \(scenarios\/greet\.yaml\) is in both a\.json and b\.json/,
  });
});

Deno.test("parseReportText refuses a file that is no report, naming it", () => {
  throws(() => parseReportText("<html></html>", "x.html"), ReportMergeError);
  throws(() => parseReportText('{"a": 1}', "x.json"), /x\.json is not a pyrepl3 report/);
});

Deno.test("merge-reports merges a JSON and an HTML shard report into HTML or JSON", async () => {
  const report = fixtureReport();
  const dir = await tempScenarios({
    "one.json": formatJson({ ...report, scenarios: report.scenarios.slice(0, 2) }),
    "two.html": formatHtml({ ...report, scenarios: report.scenarios.slice(2) }),
  });
  const html = await runCli([
    "merge-reports",
    `${dir}/out/all.html`,
    `${dir}/one.json`,
    `${dir}/two.html`,
  ]);
  equal(html.code, 0, html.stderr);
  const merged = parseReportText(await Deno.readTextFile(`${dir}/out/all.html`), "all.html");
  equal(merged.scenarios.length, 4);
  equal(merged.failed, 2);
  const json = await runCli(["merge-reports", "-", `${dir}/out/all.html`]);
  equal(json.code, 0, json.stderr);
  equal(JSON.parse(json.stdout).scenarios.length, 4);
  const bad = await runCli(["merge-reports", `${dir}/all.xml`, `${dir}/one.json`]);
  equal(bad.code, 2);
  match(bad.stderr, /name it \.html or \.json/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--reporter html alone writes pyrepl3-report/index.html, html:PATH writes PATH", async () => {
  const dir = await tempScenarios({
    "ok.yaml": "steps:\n  - exec: print('hi')\n    expect:\n      stdout: \"hi\\n\"\n",
  });
  const run = await runCli(["ok.yaml", "--reporter", "html"], { cwd: dir });
  equal(run.code, 0, run.stderr);
  match(await Deno.readTextFile(`${dir}/pyrepl3-report/index.html`), /print\(&#39;hi&#39;\)/);
  const to = await runCli(["ok.yaml", "--reporter", "html:custom/r.html"], { cwd: dir });
  equal(to.code, 0, to.stderr);
  equal(parseReportText(await Deno.readTextFile(`${dir}/custom/r.html`), "r").passed, 1);
  await Deno.remove(dir, { recursive: true });
});
