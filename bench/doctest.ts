/**
 * Docs as tests: examples per second on a long generated Markdown file (2,000 `>>>` examples in
 * 100 `pycon` fences: expressions, prints, assignments, loops), run by `loadScenarios()` +
 * `runScenarios()` (parsing included, one session), beside `python -m doctest` on the same file in
 * the same run. Each fence ends with a blank line so that doctest, which reads the file as plain
 * text, does not take the closing fence for expected output: both run the same 2,000 examples.
 *
 * Run: `npx -y deno@2.9.6 run -A bench/doctest.ts` (~30 s).
 *
 * @module
 */
import { runScenarios } from "../lib/scenario/run.ts";
import { loadScenarios } from "../lib/scenario/select.ts";
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

const FENCES = 100;
const PER_FENCE = 20;
const EXAMPLES = FENCES * PER_FENCE;
const RUNS = { warmup: 1, iterations: 5 };
const TARGET_RATIO = 10;

/** The generated document: every example passes. */
function document(): string {
  const parts = ["# Generated\n"];
  for (let f = 0; f < FENCES; f++) {
    const lines = [`Section ${f}.`, "", "```pycon"];
    for (let i = 0; i < PER_FENCE; i += 4) {
      const n = f * PER_FENCE + i;
      lines.push(`>>> v${n} = ${n} * 2`);
      lines.push(`>>> v${n} + 1`, String(n * 2 + 1));
      lines.push(`>>> print("line", v${n})`, `line ${n * 2}`);
      lines.push(">>> for k in range(2):", "...     print(k)", "0", "1");
    }
    lines.push("", "```", "");
    parts.push(lines.join("\n"));
  }
  return parts.join("\n");
}

const python = await printHeader(
  `PyREPL3 docs as tests: ${EXAMPLES} examples in one Markdown file`,
);
const dir = await Deno.makeTempDir({ prefix: "pyrepl3_bench_doctest_" });
const file = `${dir}/long.md`;
await Deno.writeTextFile(file, document());
try {
  note("timing pyrepl3 (load + run)");
  const ours = summarize(
    await sample(async () => {
      const loaded = await loadScenarios([file], { python: python.executable });
      const report = await runScenarios(loaded, { python: python.executable });
      const steps = report.scenarios[0].steps;
      if (steps.length !== EXAMPLES || report.failed !== 0) {
        throw new Error(`expected ${EXAMPLES} passing examples, got ${steps.length}`);
      }
    }, RUNS),
  );
  note("timing python -m doctest");
  const theirs = summarize(
    await sample(async () => {
      const output = await new Deno.Command(python.executable, {
        args: ["-m", "doctest", "-v", file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      if (!output.success || !text.includes(`${EXAMPLES} passed and 0 failed`)) {
        throw new Error(`python -m doctest did not pass ${EXAMPLES} examples`);
      }
    }, RUNS),
  );
  const perSecond = (msValue: number) => `${Math.round(EXAMPLES / (msValue / 1000))}/s`;
  const rows: Row[] = [
    {
      measure: `${EXAMPLES} examples, wall time (p50 of ${RUNS.iterations})`,
      ours: ms(ours.p50),
      baseline: "python -m doctest, same file",
      baselineValue: ms(theirs.p50),
      ratio: ratio(ours.p50, theirs.p50),
      target: `<= ${TARGET_RATIO}x`,
      met: ours.p50 <= TARGET_RATIO * theirs.p50 ? "yes" : "no",
    },
    {
      measure: "examples per second",
      ours: perSecond(ours.p50),
      baseline: "python -m doctest",
      baselineValue: perSecond(theirs.p50),
      ratio: ratio(theirs.p50, ours.p50),
      target: "",
      met: "",
    },
  ];
  printTables(rows, [
    "Ours: parsing (one python doctest_support.py), a pooled session, and one execution per " +
    "example (a round trip each); theirs: one interpreter start, every example in-process.",
  ]);
} finally {
  await Deno.remove(dir, { recursive: true });
}
