import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { type Command, parseCommand, type RunOptions, UsageError } from "../lib/cli/args.ts";

function run(args: string[]): RunOptions {
  const command: Command = parseCommand(args, { jobs: 8, githubActions: false });
  if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
  return command.options;
}

function usageError(args: string[], message: RegExp): void {
  throws(
    () => parseCommand(args),
    (e: unknown) => e instanceof UsageError && message.test(e.message),
  );
}

Deno.test("defaults: pretty on stdout, jobs from the CPU count, nothing else set", () => {
  deepStrictEqual(run(["scenarios/"]), {
    patterns: ["scenarios/"],
    reporters: [{ name: "pretty" }],
    update: false,
    filter: undefined,
    tags: [],
    timeoutMs: undefined,
    python: undefined,
    bail: false,
    list: false,
    jobs: 8,
    shard: undefined,
    color: "auto",
    passWithNoTests: false,
    ci: false,
  });
  const command = parseCommand(["a.yaml"]);
  equal(command.kind === "run" && command.options.jobs, navigator.hardwareConcurrency);
});

Deno.test("every flag is parsed into the options", () => {
  const options = run([
    "a.yaml",
    "dir/",
    "--update",
    "--filter",
    "^math",
    "--tag",
    "smoke",
    "-t",
    "slow",
    "--timeout",
    "1.5s",
    "--python",
    "/usr/bin/python3",
    "--bail",
    "--list",
    "--jobs",
    "3",
    "--shard",
    "2/4",
  ]);
  deepStrictEqual(options.patterns, ["a.yaml", "dir/"]);
  equal(options.update, true);
  equal(options.filter?.source, "^math");
  deepStrictEqual(options.tags, ["smoke", "slow"]);
  equal(options.timeoutMs, 1500);
  equal(options.python, "/usr/bin/python3");
  equal(options.bail, true);
  equal(options.list, true);
  equal(options.jobs, 3);
  deepStrictEqual(options.shard, { index: 2, total: 4 });
});

Deno.test("a bare --timeout number is seconds; units ms and m work", () => {
  equal(run(["a", "--timeout", "2"]).timeoutMs, 2000);
  equal(run(["a", "--timeout", "250ms"]).timeoutMs, 250);
  equal(run(["a", "--timeout=2m"]).timeoutMs, 120_000);
});

Deno.test("--output FILE sends the --reporter just before it to that file", () => {
  deepStrictEqual(run(["a", "--reporter", "junit", "--output", "report.xml"]).reporters, [
    { name: "pretty" },
    { name: "junit", file: "report.xml" },
  ]);
  deepStrictEqual(
    run([
      "a",
      "--reporter",
      "pretty",
      "--reporter",
      "junit",
      "--output",
      "j.xml",
      "-r",
      "tap",
      "-o",
      "t.tap",
    ])
      .reporters,
    [{ name: "pretty" }, { name: "junit", file: "j.xml" }, { name: "tap", file: "t.tap" }],
  );
});

Deno.test("reporters map to stdout or to files, with either spelling", () => {
  deepStrictEqual(
    run(["a", "--reporter", "pretty", "--reporter", "junit:out/report.xml"]).reporters,
    [
      { name: "pretty" },
      { name: "junit", file: "out/report.xml" },
    ],
  );
  deepStrictEqual(
    run(["a", "-r", "dot", "--output", "junit=report.xml", "-o", "tap=r.tap"]).reporters,
    [
      { name: "dot" },
      { name: "junit", file: "report.xml" },
      { name: "tap", file: "r.tap" },
    ],
  );
  deepStrictEqual(run(["a", "--reporter", "junit", "--output", "junit=r.xml"]).reporters, [
    { name: "pretty" },
    { name: "junit", file: "r.xml" },
  ]);
  deepStrictEqual(run(["a", "--reporter", "json:C:\\out\\r.json"]).reporters, [
    { name: "pretty" },
    { name: "json", file: "C:\\out\\r.json" },
  ]);
  deepStrictEqual(run(["a", "--reporter", "tap"]).reporters, [{ name: "tap" }]);
  deepStrictEqual(run(["a", "--reporter", "pretty:p.txt"]).reporters, [{
    name: "pretty",
    file: "p.txt",
  }]);
});

Deno.test("reporter mistakes are usage errors", () => {
  usageError(["a", "--reporter", "junti"], /unknown reporter "junti"; did you mean junit\?/);
  usageError(
    ["a", "--reporter", "dot", "--reporter", "tap"],
    /only one reporter can write to stdout/,
  );
  usageError(["a", "--reporter", "tap", "--reporter", "tap:x"], /reporter tap is given twice/);
  usageError(["a", "--output", "report.xml"], /give it right after the --reporter it is for/);
  usageError(
    ["a", "--reporter", "junit", "--output", "a.xml", "--output", "b.xml"],
    /give it right after the --reporter it is for/,
  );
  usageError(["a", "--output", "junit="], /no file after "junit"/);
});

Deno.test("an unknown option names the closest valid flag", () => {
  usageError(["a", "--repoter", "dot"], /^unknown option --repoter; did you mean --reporter\?$/);
  usageError(["a", "--tags=x"], /^unknown option --tags; did you mean --tag\?$/);
  usageError(["a", "--frobnicate"], /^unknown option --frobnicate; see --help/);
  usageError(["a", "-x"], /^unknown option -x; see --help/);
});

Deno.test("bad values are usage errors", () => {
  for (const shard of ["0/2", "3/2", "1/0", "a/b", "2"]) {
    usageError(["a", "--shard", shard], /--shard: expected I\/N with 1 <= I <= N/);
  }
  usageError(["a", "--jobs", "0"], /--jobs: expected a whole number >= 1/);
  usageError(["a", "--jobs", "two"], /--jobs/);
  usageError(["a", "--timeout", "soon"], /--timeout: expected a duration/);
  usageError(["a", "--filter", "("], /--filter: invalid regular expression/);
  usageError(["a", "--filter"], /argument missing/);
  usageError(["a", "--bail=yes"], /does not take an argument/);
  usageError([], /no scenario files given/);
});

Deno.test("help and version win over everything else", () => {
  equal(parseCommand(["--help"]).kind, "help");
  equal(parseCommand(["-h", "x"]).kind, "help");
  equal(parseCommand(["--version"]).kind, "version");
});

Deno.test("record takes one file and only --python and --timeout", () => {
  deepStrictEqual(parseCommand(["record", "new.yaml", "--python", "py", "--timeout", "3s"]), {
    kind: "record",
    options: { file: "new.yaml", python: "py", timeoutMs: 3000 },
  });
  usageError(["record"], /record takes exactly one file/);
  usageError(["record", "a.yaml", "b.yaml"], /record takes exactly one file/);
  usageError(["record", "a.yaml", "--bail"], /record does not take --bail/);
});

Deno.test("a value starting with '-' after a flag says to write FLAG=VALUE (not node's 'ambiguous')", () => {
  usageError(
    ["scenarios/", "--timeout", "-1s"],
    /^--timeout -1s: a value that starts with "-" must be given as --timeout=-1s$/,
  );
  usageError(["scenarios/", "--timeout=-1s"], /--timeout: expected a duration/);
});
