/**
 * Issues 13 and 17 as an outsider uses them, for what an audit found short: a reader of stdout
 * that goes away (`pyrepl3 scenarios/ | head`), GitHub annotations beside an explicit or implied
 * pretty, and Python's refusal of a character range with a class at one end (`[\d-z]`).
 * Each test failed before its fix.
 */
import { equal, match, ok, throws } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { parseCommand, UsageError } from "../lib/cli/args.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

const FAILING = `name: wrong sum
steps:
  - exec: "1 + 1"
    expect: { value: 3 }
`;

function passing(n: number): string {
  return `name: fine ${n}\nsteps:\n  - exec: "${n} * 2"\n    expect: { value: ${n * 2} }\n`;
}

Deno.test("stdout closed by its reader: the run goes on, writes its report files, exits with the verdict", async () => {
  const dir = await tempScenarios({
    "a.yaml": passing(1),
    "b.yaml": FAILING,
    "c.yaml": passing(3),
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, dir, "-j", "1", "--reporter", `junit:${dir}/out/junit.xml`],
    env: { CI: "", GITHUB_ACTIONS: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The reader goes before anything is written (as `| head -0` would): every write meets EPIPE.
  await child.stdout.cancel();
  const { code, stderr } = await child.output();
  const errors = new TextDecoder().decode(stderr);
  equal(code, 1, errors); // the verdict (one scenario failed), not 2 for an internal error
  ok(!/BrokenPipe/.test(errors), errors);
  const junit = await Deno.readTextFile(`${dir}/out/junit.xml`);
  equal(junit.match(/<testcase /g)?.length, 3, junit);
  match(junit, /<failure message="[^"]*value differs/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("GITHUB_ACTIONS=true: annotations beside --reporter pretty and beside the pretty a junit:FILE implies", async () => {
  const dir = await tempScenarios({ "bad.yaml": FAILING });
  const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: "" };
  const annotation = /^::error file=[^,]*bad\.yaml,line=3,title=wrong sum%3A step 1/m;
  for (
    const args of [
      ["--reporter", "pretty"],
      ["--reporter", `junit:${dir}/junit.xml`],
    ]
  ) {
    const run = await runCli([`${dir}/bad.yaml`, ...args], { env });
    equal(run.code, 1, run.stderr);
    match(run.stdout, /✗ wrong sum/, args.join(" "));
    match(run.stdout, annotation, args.join(" "));
  }
  // Never inside a machine-readable report on stdout.
  const json = await runCli([`${dir}/bad.yaml`, "--reporter", "json"], { env });
  equal(json.code, 1, json.stderr);
  equal(JSON.parse(json.stdout).failed, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("matches: a character range with a class at one end is refused as Python's re refuses it", async () => {
  for (const [pattern, range] of [["[\\\\d-z]", "\\d-z"], ["[a-\\\\w]", "a-\\w"]]) {
    const dir = await tempScenarios({
      "r.yaml":
        `steps:\n  - exec: print("5")\n    expect:\n      stdout: { matches: "${pattern}" }\n`,
    });
    const run = await runCli([dir]);
    equal(run.code, 2, run.stdout + run.stderr);
    ok(run.stderr.includes(`r.yaml:4:`), run.stderr);
    ok(run.stderr.includes(`bad character range ${range}`), run.stderr);
    await Deno.remove(dir, { recursive: true });
  }
  // A `-` first, last, after a range or after a leading `]` stays a literal, as in Python.
  const dir = await tempScenarios({
    "ok.yaml": `steps:
  - exec: print("-")
    expect:
      stdout: { matches: "^[-\\\\d][\\\\d-]?[a-c-e]?[^-\\\\d]$" }
  - exec: print("-5")
    expect:
      stdout: { matches: "^[-\\\\d][\\\\d-]$" }
`,
  });
  const run = await runCli([dir]);
  equal(run.code, 0, run.stdout + run.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--durations refuses a FIFO, a device, a directory and a missing file, exit 2 with its name", async () => {
  const dir = await tempScenarios({ "a.yaml": passing(1) });
  await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
  const cases: [string, string][] = [
    [`${dir}/fifo`, "not a regular file (a FIFO)"],
    ["/dev/zero", "not a regular file (a device)"],
    [dir, "not a regular file (a directory)"],
    [`${dir}/missing.json`, "no such file"],
  ];
  for (const [file, reason] of cases) {
    // Before: the FIFO blocked the run for ever, /dev/zero filled the memory, NotFound was raw.
    const run = await runCli([`${dir}/a.yaml`, "--shard", "1/2", "--durations", file]);
    equal(run.code, 2, run.stderr);
    ok(
      run.stderr.includes(`DurationsReportError: --durations: cannot read ${file}: ${reason}`),
      run.stderr,
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an image snapshot that is a FIFO fails its step at once (the read blocked for ever)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_snapshot_" });
  await new Deno.Command("mkfifo", { args: [`${dir}/snap.png`] }).output();
  const snapshot = new URL("../lib/scenario/snapshot.ts", import.meta.url).href;
  const code = `import { compareSnapshot } from "${snapshot}";
const verdict = compareSnapshot(new Uint8Array([1, 2]), ${JSON.stringify(`${dir}/snap.png`)});
console.log(JSON.stringify({ ok: verdict.ok, reason: verdict.reason }));`;
  // In a child process with a bound: before the fix the synchronous read never returned.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, stderr);
  const verdict = JSON.parse(new TextDecoder().decode(out.stdout));
  equal(verdict.ok, false);
  match(verdict.reason, /snap\.png is not a regular file/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a JSON report written among the scenarios is not taken for a scenario by the next run", async () => {
  const dir = await tempScenarios({ "a.yaml": passing(1) });
  const first = await runCli([dir, "--reporter", `json:${dir}/report.json`]);
  equal(first.code, 0, first.stderr);
  // Before: the next run of the directory failed on report.json ("missing required key 'steps'").
  const second = await runCli([dir]);
  equal(second.code, 0, second.stdout + second.stderr);
  match(second.stdout, /1 scenario: 1 passed/);
  // A glob too; named on the command line, it is still checked (and refused) as a scenario file.
  const globbed = await runCli([`${dir}/*`]);
  equal(globbed.code, 0, globbed.stdout + globbed.stderr);
  const named = await runCli([`${dir}/report.json`]);
  equal(named.code, 2);
  match(named.stderr, /report\.json:1:1: missing required key 'steps'/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report files: a directory or one file for two reporters is refused before anything runs; an unwritable one is named, the others written", async () => {
  const dir = await tempScenarios({ "a.yaml": passing(1) });
  await Deno.mkdir(`${dir}/out`);
  const sameFile = await runCli([
    `${dir}/a.yaml`,
    "-r",
    `junit:${dir}/r.out`,
    "-r",
    `json:${dir}/r.out`,
  ]);
  equal(sameFile.code, 2, sameFile.stderr);
  match(sameFile.stderr, /--reporter junit and --reporter json both write .*r\.out/);
  equal(sameFile.stdout, ""); // nothing ran
  const directory = await runCli([`${dir}/a.yaml`, "-r", `junit:${dir}/out`]);
  equal(directory.code, 2, directory.stderr);
  match(directory.stderr, /out is a directory; give a file's path/);
  equal(directory.stdout, "");
  // Before: ENOSPC was an "internal error" with a stack, and the reports after it were not written.
  const full = await runCli([`${dir}/a.yaml`, "-r", "junit:/dev/full", "-r", `json:${dir}/r.json`]);
  equal(full.code, 2, full.stderr);
  match(full.stderr, /^pyrepl3: ReportWriteError: cannot write the junit report to \/dev\/full: /);
  ok(!full.stderr.includes("internal error"), full.stderr);
  equal(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)).passed, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--update keeps a CRLF file's line breaks in what it writes (it wrote bare LF lines into it)", async () => {
  const text = [
    "steps:",
    '  - exec: "2"',
    "    expect: {value: 1}",
    '  - exec: "print(1)"',
    "    expect:",
    '      stdout: "x"',
    '  - exec: "print(3)"',
    "",
  ].join("\r\n");
  const dir = await tempScenarios({ "crlf.yaml": text });
  const update = await runCli([dir, "--update"]);
  equal(update.code, 0, update.stdout + update.stderr);
  const written = await Deno.readTextFile(`${dir}/crlf.yaml`);
  equal(
    written,
    [
      "steps:",
      '  - exec: "2"',
      "    expect: {value: 2}",
      '  - exec: "print(1)"',
      "    expect:",
      "      stdout: |",
      "        1",
      '  - exec: "print(3)"',
      "    expect:",
      "      stdout: |",
      "        3",
      "",
    ].join("\r\n"),
  );
  equal((await runCli([dir])).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a huge or wholly different output: the HTML diff no longer overflows the stack, both diffs are capped", async () => {
  const { htmlDiff } = await import("../lib/report/_html_diff.ts");
  const { renderDiff, MAX_DIFF_LINES } = await import("../lib/report/_diff.ts");
  const plain = (s: string) => s;
  const colors = { red: plain, green: plain, cyan: plain, dim: plain, bold: plain, yellow: plain };
  // 200,000 added lines: `lines.push(...array)` threw RangeError (an HTML report was not written).
  const many = Array.from({ length: 200_000 }, (_, i) => `${i}`).join("\n") + "\n";
  const html = htmlDiff("x\n", many);
  match(html, /… 198001 more diff lines/);
  const pretty = renderDiff("x\n", many, colors as never);
  equal(pretty.length, 2 + 1 + MAX_DIFF_LINES + 1);
  match(pretty.at(-1)!, /^… 199601 more diff lines/);
  // Two different 3,000-line texts: Myers' alignment took seconds (26 s at 10,000 lines); now
  // both are shown whole, without aligning them.
  const side = (p: string) => Array.from({ length: 3000 }, (_, i) => `${p}${i}`).join("\n") + "\n";
  const different = renderDiff(side("a"), side("b"), colors as never);
  equal(different[2], "@@ -1,3000 +1,3000 @@ (too different to align: both texts whole)");
  equal(different[3], "-a0");
  match(htmlDiff(side("a"), side("b")), /<span class="sign">-<\/span>a0\n/);
});

Deno.test("TAP and JUnit of a step with 200,000 output lines are written (TAP overflowed the stack)", async () => {
  const dir = await tempScenarios({
    "big.yaml":
      `steps:\n  - exec: "for i in range(200000): print(i)"\n    expect: { stdout: "x" }\n`,
  });
  const run = await runCli([dir, "-r", `tap:${dir}/out/r.tap`, "-r", `junit:${dir}/out/r.xml`]);
  equal(run.code, 1, run.stderr);
  equal(run.stderr, "");
  const tap = await Deno.readTextFile(`${dir}/out/r.tap`);
  ok(tap.includes("\n            199999\n"), tap.slice(0, 500));
  match(await Deno.readTextFile(`${dir}/out/r.xml`), /… 199601 more diff lines/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lines: over a million output lines fits in little memory (the table of lines x pattern took 900 MB)", async () => {
  const matchers = new URL("../lib/scenario/matchers.ts", import.meta.url).href;
  const code = `import { matchText } from "${matchers}";
const text = Array.from({ length: 1_000_000 }, (_, i) => String(i)).join("\\n") + "\\n";
const miss = matchText(text, { lines: Array.from({ length: 100 }, (_, i) => i % 2 ? "..." : "nope") }, []);
const hit = matchText(text, { lines: ["0", "...", "500000", "...", "999999"] }, []);
console.log(JSON.stringify([miss.ok, hit.ok]));`;
  // A 256 MB heap: the old table ran out of memory here.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--max-old-space-size=256", code],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(0, 2000));
  equal(new TextDecoder().decode(out.stdout).trim(), "[false,true]");
});

Deno.test("--update never writes status: timeout (a machine's speed); a step expecting one still gets its stdout fixed", async () => {
  const slow = `steps:\n  - exec: import time; time.sleep(30)\n    timeout: 300ms\n`;
  const expecting = `steps:
  - exec: import time; print("hi"); time.sleep(30)
    timeout: 300ms
    expect: { status: timeout, stdout: "x" }
`;
  const dir = await tempScenarios({ "slow.yaml": slow, "expecting.yaml": expecting });
  const run = await runCli([dir, "--update"]);
  equal(run.code, 1, run.stdout + run.stderr); // the slow step still fails
  match(run.stdout, /got timeout/);
  equal(await Deno.readTextFile(`${dir}/slow.yaml`), slow); // before: `status: timeout` was written
  equal(
    await Deno.readTextFile(`${dir}/expecting.yaml`),
    expecting.replace('stdout: "x"', 'stdout: "hi\\n"'),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--watch refuses --update, --shard and --durations (it ran without them, silently)", () => {
  for (
    const [args, flag] of [
      [["--update"], "update"],
      [["--shard", "1/2"], "shard"],
      [["--shard", "1/2", "--durations", "r.json"], "shard"],
    ] as const
  ) {
    throws(
      () => parseCommand(["--watch", ...args, "s/"], { githubActions: false }),
      (e: Error) =>
        e instanceof UsageError && e.message.startsWith(`--watch does not take --${flag}`),
    );
  }
  // --list with --watch lists and returns, as before.
  equal(parseCommand(["--watch", "--list", "--shard", "1/2", "s/"]).kind, "run");
});

Deno.test("approx follows pytest.approx on big integers (exactly) and on a bool against a number", async () => {
  const { valuesEqual } = await import("../lib/scenario/matchers.ts");
  const big = 2n ** 70n;
  // pytest: 2**70 + 1 != approx(2**70, rel=0, abs=0); both were the same float here.
  equal(valuesEqual({ approx: big, rel: 0, abs: 0 }, big + 1n), false);
  equal(valuesEqual({ approx: big, rel: 0, abs: 0 }, big), true);
  equal(valuesEqual({ approx: big }, big + 1n), true); // within rel 1e-6
  equal(valuesEqual({ approx: 5, abs: 1 }, 6n), true);
  equal(valuesEqual({ approx: 5, abs: 1 }, 7n), false);
  // pytest: True == approx(1), but 1 != approx(True).
  equal(valuesEqual({ approx: 1 }, true), true);
  equal(valuesEqual({ approx: true }, 1), false);
  equal(valuesEqual({ approx: [1, 0] }, [true, false]), true);
  equal(valuesEqual(1, true), false); // plain equality stays strict
});

Deno.test("merge-reports: a report whose steps lack their fields is refused by name (it was a TypeError)", async () => {
  const dir = await tempScenarios({});
  const report = {
    scenarios: [{
      name: "a",
      file: "a.yaml",
      status: "failed",
      durationMs: 1,
      steps: [{ status: "failed", failures: [{}] }],
    }],
    passed: 0,
    failed: 1,
  };
  await Deno.writeTextFile(`${dir}/r.json`, JSON.stringify(report));
  const run = await runCli(["merge-reports", `${dir}/out.html`, `${dir}/r.json`]);
  equal(run.code, 2, run.stderr);
  match(
    run.stderr,
    /ReportMergeError: .*r\.json is not a pyrepl3 report: scenarios\[0\]\.steps\[0\]\.index is not a number/,
  );
  ok(!run.stderr.includes("internal error"), run.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("timeout: 0 in a scenario, a step or pyrepl3.yaml is a file error at its line (it failed every step at run time)", async () => {
  const dir = await tempScenarios({
    "file.yaml": `timeout: 0\nsteps:\n  - exec: "1"\n`,
    "step.yaml": `steps:\n  - exec: "1"\n    timeout: 0ms\n`,
  });
  const run = await runCli([dir]);
  equal(run.code, 2, run.stdout + run.stderr);
  equal(run.stdout, "");
  match(run.stderr, /file\.yaml:1:10: a timeout of 0 would stop every step/);
  match(run.stderr, /step\.yaml:3:14: a timeout of "0ms" would stop every step/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a report file that is a scenario being run is refused (the report replaced the scenario)", async () => {
  const dir = await tempScenarios({ "a.yaml": passing(1) });
  await Deno.symlink(`${dir}/a.yaml`, `${dir}/link.xml`);
  for (const target of [`${dir}/a.yaml`, `${dir}/link.xml`]) {
    const run = await runCli([`${dir}/a.yaml`, "-r", `junit:${target}`]);
    equal(run.code, 2, run.stderr);
    match(run.stderr, /is a file being run; the report would replace it/);
  }
  equal(await Deno.readTextFile(`${dir}/a.yaml`), passing(1));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the TAP report names the run's hash seed too (a comment), so --hash-seed random can be replayed", async () => {
  const dir = await tempScenarios({ "a.yaml": passing(1) });
  const run = await runCli([dir, "-r", "tap", "--hash-seed", "random"]);
  equal(run.code, 0, run.stderr);
  const seed = /^# hash seed (\d+) \(PYTHONHASHSEED\)$/m.exec(run.stdout)?.[1];
  ok(seed !== undefined, run.stdout);
  const fixed = await runCli([dir, "-r", "tap", "--hash-seed", seed!]);
  match(fixed.stdout, new RegExp(`^# hash seed ${seed} `, "m"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a JSON scenario with a duplicate key says invalid JSON, not invalid YAML", async () => {
  const dir = await tempScenarios({
    "dup.json": `{"steps": [{"exec": "1", "expect": {"value": 1}, "expect": {"value": 2}}]}`,
  });
  const run = await runCli([dir]);
  equal(run.code, 2, run.stderr);
  match(run.stderr, /dup\.json:1:\d+: invalid JSON: Map keys must be unique/);
  await Deno.remove(dir, { recursive: true });
});
