/**
 * SessionPool costs, each beside its baseline from the same run:
 * - `acquire()` with idle sessions ready;
 * - a new clean session forked from the template (nothing imported, and after `import numpy as np`) against
 *   cold interpreter starts (`python -c pass`, `python -c "import numpy"`) and a cold `new Session().start()`;
 * - scenario throughput of `runScenarios()` (pooled sessions by default) against a fresh interpreter per
 *   scenario session, with one job and with one job per core.
 *
 * Run: `npx -y deno@2.9.6 run -A bench/pool.ts`
 *
 * @module
 */
import { SessionPool } from "../lib/pool.ts";
import { defaultSessionFactory, runScenarios } from "../lib/scenario/run.ts";
import type { RunReport } from "../lib/report/model.ts";
import {
  coldSessionStartTimes,
  hasModule,
  met,
  ms,
  msPair,
  note,
  printHeader,
  printTables,
  PYTHON_COMMAND,
  ratio,
  type Row,
  runPython,
  sample,
  summarize,
  type Summary,
  tick,
  timeOnce,
} from "./_bench.ts";

const ACQUIRE = { warmup: 20, iterations: 200 };
const CREATE = { warmup: 3, iterations: 20 };
/** The untimed pause before a new-session acquire, for the keeper to fork its next spare. */
const SPARE_SETTLE_MS = 150;
const SCENARIOS = 500;
/** A fresh interpreter per scenario costs a cold start each: fewer scenarios keep the run under 2 minutes. */
const FRESH_SCENARIOS = 50;
const JOBS = Math.max(1, navigator.hardwareConcurrency ?? 1);

const python = await printHeader("PyREPL3 SessionPool: acquire, new sessions, scenario throughput");
const numpy = await hasModule(python.executable, "numpy");
const rows: Row[] = [];
const footnotes: string[] = [];

/** Times `acquire()` with an idle session ready; each release resets its session in the background. */
async function acquireTimes(): Promise<Summary> {
  const pool = new SessionPool({ python: PYTHON_COMMAND, minIdle: 2, maxSize: 4 });
  const releases: Promise<void>[] = [];
  try {
    await pool.start();
    const times: number[] = [];
    for (let i = 0; i < ACQUIRE.warmup + ACQUIRE.iterations; i++) {
      while (pool.stats().idle < 1) await tick(1);
      const start = performance.now();
      const session = await pool.acquire();
      const elapsed = performance.now() - start;
      if (i >= ACQUIRE.warmup) times.push(elapsed);
      const result = await session.execute("x = 1");
      if (result.status !== "ok") {
        throw new Error(`x = 1 failed in a pooled session: ${result.status}`);
      }
      releases.push(pool.release(session));
    }
    await Promise.all(releases);
    return summarize(times);
  } finally {
    await Promise.allSettled(releases);
    await pool.shutdown();
  }
}

/**
 * Times `acquire()` when no session is idle, so that each one makes a new clean session; the release,
 * which ends the session, is not timed. With `spareReady`, each acquire first waits (untimed) until the
 * keeper has had time to fork its next spare interpreter; without, acquires follow back to back and each
 * pays for the fork and set-up of a spare.
 */
async function newSessionAcquireTimes(spareReady: boolean, warmup?: string): Promise<Summary> {
  const pool = new SessionPool({
    python: PYTHON_COMMAND,
    minIdle: 0,
    maxSize: 1000,
    maxUses: 1,
    warmup,
  });
  try {
    await pool.start();
    const times: number[] = [];
    for (let i = 0; i < CREATE.warmup + CREATE.iterations; i++) {
      if (spareReady) await new Promise((resolve) => setTimeout(resolve, SPARE_SETTLE_MS));
      const elapsed = await timeOnce(() => pool.acquire(), (session) => pool.release(session));
      if (i >= CREATE.warmup) times.push(elapsed);
    }
    if (pool.stats().hits !== 0) {
      throw new Error("a new-session acquire was served by an idle session");
    }
    return summarize(times);
  } finally {
    await pool.shutdown();
  }
}

/** Writes `count` five-step scenario files into a new temp dir and returns their paths. */
async function writeScenarios(count: number): Promise<{ dir: string; files: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3-bench-scenarios-" });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const scenario = {
      name: `bench ${i}`,
      steps: [
        { exec: `x = ${i}` },
        { exec: "x + 1", expect: { value: i + 1 } },
        { exec: "print('hello', x)", expect: { stdout: `hello ${i}\n` } },
        {
          exec: "name = input('Name: ')\nprint(name)",
          inputs: ["Ada"],
          expect: { stdout: "Name: Ada\n" },
        },
        { exec: "1 / 0", expect: { error: "ZeroDivisionError" } },
      ],
    };
    const file = `${dir}/bench_${String(i).padStart(4, "0")}.json`;
    await Deno.writeTextFile(file, JSON.stringify(scenario));
    files.push(file);
  }
  return { dir, files };
}

/** Runs the files and returns scenarios per second; throws when any scenario failed. */
async function scenariosPerSecond(files: string[], jobs: number, fresh: boolean): Promise<number> {
  const report: RunReport = await runScenarios(files, {
    python: PYTHON_COMMAND,
    jobs,
    ...(fresh ? { sessionFactory: defaultSessionFactory } : {}),
  });
  if (report.failed > 0 || report.passed !== files.length) {
    const failed = report.scenarios.find((s) => s.status === "failed");
    throw new Error(
      `benchmark scenarios failed (${report.failed}); first: ${JSON.stringify(failed?.steps)}`,
    );
  }
  return files.length / (report.durationMs / 1000);
}

// --- acquire ------------------------------------------------------------------------------------------
note("acquire with idle sessions");
const acquire = await acquireTimes();

// --- new sessions -------------------------------------------------------------------------------------
note("new session: fork, nothing imported");
const fork = await newSessionAcquireTimes(true);
const forkBackToBack = await newSessionAcquireTimes(false);
const forkNumpy = numpy
  ? (note("new session: fork of a numpy template"),
    await newSessionAcquireTimes(true, "import numpy as np"))
  : null;
const forkNumpyBackToBack = numpy
  ? await newSessionAcquireTimes(false, "import numpy as np")
  : null;
note("cold: python -c pass");
const coldPass = summarize(
  await sample(() => runPython(python.executable, ["-c", "pass"]), CREATE),
);
const coldNumpy = numpy
  ? (note("cold: python -c 'import numpy'"),
    summarize(await sample(() => runPython(python.executable, ["-c", "import numpy"]), CREATE)))
  : null;
note("cold: new Session().start()");
const coldSession = summarize(await coldSessionStartTimes(CREATE));

rows.push({
  measure: "acquire() with idle sessions, p50 / p99",
  ours: msPair(acquire),
  baseline: "cold `new Session().start()`",
  baselineValue: ms(coldSession.p50),
  ratio: ratio(acquire.p50, coldSession.p50),
  target: "p50 <= 1 ms",
  met: met(acquire.p50 <= 1),
});
rows.push({
  measure: "new clean session, nothing imported, p50",
  ours: ms(fork.p50),
  baseline: "cold `python -c pass`",
  baselineValue: ms(coldPass.p50),
  ratio: ratio(fork.p50, coldPass.p50),
  target: "<= 5 ms",
  met: met(fork.p50 <= 5),
});
rows.push({
  measure: "  same, back to back (fork + set-up each), p50",
  ours: ms(forkBackToBack.p50),
  baseline: "cold `python -c pass`",
  baselineValue: ms(coldPass.p50),
  ratio: ratio(forkBackToBack.p50, coldPass.p50),
  target: "",
  met: "",
});
if (forkNumpy && coldNumpy && forkNumpyBackToBack) {
  rows.push({
    measure: "new clean session with numpy imported, p50",
    ours: ms(forkNumpy.p50),
    baseline: 'cold `python -c "import numpy"`',
    baselineValue: ms(coldNumpy.p50),
    ratio: ratio(forkNumpy.p50, coldNumpy.p50),
    target: "<= 15 ms",
    met: met(forkNumpy.p50 <= 15),
  });
  rows.push({
    measure: "  same, back to back (fork + set-up each), p50",
    ours: ms(forkNumpyBackToBack.p50),
    baseline: 'cold `python -c "import numpy"`',
    baselineValue: ms(coldNumpy.p50),
    ratio: ratio(forkNumpyBackToBack.p50, coldNumpy.p50),
    target: "",
    met: "",
  });
} else {
  footnotes.push("skipped the numpy rows: numpy is not installed for this Python.");
}
rows.push({
  measure: "cold `new Session().start()`, p50",
  ours: ms(coldSession.p50),
  baseline: "cold `python -c pass`",
  baselineValue: ms(coldPass.p50),
  ratio: ratio(coldSession.p50, coldPass.p50),
  target: "",
  met: "",
});
footnotes.push(
  `acquire: ${ACQUIRE.iterations} after ${ACQUIRE.warmup} warm-up, pool minIdle 2, waiting for an idle session ` +
    `before each; new sessions: ${CREATE.iterations} after ${CREATE.warmup} warm-up, acquire() with minIdle 0, ` +
    `either ${SPARE_SETTLE_MS} ms apart (the keeper's next spare is forked and connected: the acquire takes it) ` +
    "or back to back (each acquire waits for a spare's fork and set-up); cold starts spawned and awaited from Deno.",
);

// --- scenario throughput ------------------------------------------------------------------------------
const { dir, files } = await writeScenarios(SCENARIOS);
try {
  const freshFiles = files.slice(0, FRESH_SCENARIOS);
  for (const jobs of [...new Set([1, JOBS])]) {
    note(`scenarios: ${SCENARIOS} pooled, jobs ${jobs}`);
    const pooled = await scenariosPerSecond(files, jobs, false);
    note(`scenarios: ${FRESH_SCENARIOS} with a fresh Session each, jobs ${jobs}`);
    const fresh = await scenariosPerSecond(freshFiles, jobs, true);
    rows.push({
      measure: `runScenarios, jobs ${jobs} (pooled sessions)`,
      ours: `${pooled.toFixed(1)} /s`,
      baseline: "fresh `Session` per scenario",
      baselineValue: `${fresh.toFixed(1)} /s`,
      ratio: ratio(pooled, fresh),
      target: "",
      met: "",
    });
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
footnotes.push(
  `scenarios: 5 steps each (assign, value, print, input, error); pooled over ${SCENARIOS} files, the fresh-` +
    `session baseline over the first ${FRESH_SCENARIOS} (an interpreter start each); ratio = scenarios/s over baseline.`,
);

printTables(rows, footnotes);
