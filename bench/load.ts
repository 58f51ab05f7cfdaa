/**
 * SessionPool under load: 1,000 live sessions forked from one numpy template, each holding private state
 * and answering one execution that checks it. Prints the time to acquire them all, the memory per session
 * (PSS, the proportional set size, summed over the keeper and every process it forked, over the session
 * count), the open fds in Deno, and beside it one ipykernel's PSS with numpy imported, where ipykernel and
 * jupyter_client import in the benchmark's Python. Linux only (reads /proc).
 *
 * Run: `npx -y deno@2.9.6 run -A bench/load.ts` (`BENCH_SESSIONS=100` for a smaller run). Each session
 * holds a unix socket in Deno: the open-file limit must exceed the session count by a margin; when it
 * does not, the benchmark stops at once and says so (`ulimit -n 4096` in the shell first).
 *
 * @module
 */
import { type Session, SessionPool } from "../mod.ts";
import {
  hasModule,
  met,
  ms,
  note,
  printHeader,
  printTables,
  PYTHON_COMMAND,
  ratio,
  type Row,
  runPython,
  sample,
  summarize,
} from "./_bench.ts";
import {
  cpuIdleShare,
  descendants,
  fdLimitAdvice,
  openFds,
  processesLeft,
  type ProcessId,
  pss,
  readStat,
} from "./_proc.ts";

const SESSIONS = Number(Deno.env.get("BENCH_SESSIONS") ?? 1000);
/** fds Deno needs beside one socket per session (its own files, the keeper's pipes, the listener). */
const FD_MARGIN = 256;
const TARGET_MS_PER_SESSION = 10;
const TARGET_MIB_PER_SESSION = 5;
const COLD = { warmup: 1, iterations: 5 };
/** How long processes may take to vanish after shutdown() returns (the kernel reaps orphans). */
const GONE_WITHIN_MS = 5000;
const KiB = 1024;
const MiB = 1024 * KiB;

if (Deno.build.os !== "linux") {
  console.error("bench/load.ts reads /proc (PSS, fds, process tree): it runs on Linux only");
  Deno.exit(2);
}
if (!Number.isInteger(SESSIONS) || SESSIONS < 1) {
  console.error(`BENCH_SESSIONS must be a positive integer, not ${Deno.env.get("BENCH_SESSIONS")}`);
  Deno.exit(2);
}
const fdAdvice = await fdLimitAdvice(SESSIONS + FD_MARGIN);
if (fdAdvice) {
  console.error(fdAdvice);
  Deno.exit(2);
}

// Other processes share the cores: the idle share just before the run says how much of the machine it had
// (the load average would still count the processes of a run that just ended).
const idleBefore = await cpuIdleShare(1000);
const python = await printHeader(`PyREPL3 SessionPool under load: ${SESSIONS} live numpy sessions`);
if (!await hasModule(python.executable, "numpy")) {
  console.error(`numpy is not installed for ${python.executable}: this benchmark needs it`);
  Deno.exit(2);
}

/** A result row; the columns not given stay empty. */
function row(fields: Partial<Row> & Pick<Row, "measure" | "ours">): Row {
  return { baseline: "", baselineValue: "", ratio: "", target: "", met: "", ...fields };
}

/** Sets session `i`'s private state: a fresh fork must not have any yet. */
function setState(session: Session, i: number): Promise<void> {
  const code = `assert 'secret' not in globals(), 'state leaked in'\nsecret = np.arange(10) * ${i}`;
  return session.execute(code).then((result) => {
    if (result.status !== "ok") {
      throw new Error(`session ${i}: set state: ${JSON.stringify(result)}`);
    }
  });
}

/** Asks session `i` for its own state back. */
function checkState(session: Session, i: number): Promise<void> {
  return session.execute("int(secret.sum()), int(secret[1])").then((result) => {
    const expected = [45 * i, i];
    if (result.status !== "ok" || JSON.stringify(result.value) !== JSON.stringify(expected)) {
      throw new Error(
        `session ${i}: expected its own state ${expected}: ${JSON.stringify(result)}`,
      );
    }
  });
}

/** The bare floor (bench/_fork_floor.py): `count` forks of a numpy process, each connected with a hello. */
async function forkFloor(count: number): Promise<{ ms: number; pss: number; processes: number }> {
  const script = new URL("./_fork_floor.py", import.meta.url).pathname;
  const output = await new Deno.Command(python.executable, {
    args: [script, String(count)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`the fork floor failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** Starts one ipykernel with numpy imported (bench/_ipykernel_peer.py); null when not installed. */
async function startIpykernel(): Promise<{ pid: number; stop: () => Promise<void> } | null> {
  const helper = new URL("./_ipykernel_peer.py", import.meta.url).pathname;
  const child = new Deno.Command(python.executable, {
    args: [helper],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await lines.read();
  const stop = async () => {
    await child.stdin.close().catch(() => {});
    await lines.cancel().catch(() => {});
    await child.status;
  };
  if (first.done) {
    const status = await child.status;
    await stop();
    if (status.code === 3) return null;
    throw new Error(`the ipykernel peer failed (exit ${status.code}): ${await stderr}`);
  }
  return { pid: (JSON.parse(first.value) as { pid: number }).pid, stop };
}

// --- baseline: a cold interpreter importing numpy -----------------------------------------------------
note("cold: python -c 'import numpy'");
const coldNumpy = summarize(
  await sample(() => runPython(python.executable, ["-c", "import numpy"]), COLD),
);

note(`floor: ${SESSIONS} bare forks of a numpy process, each connected`);
const floor = await forkFloor(SESSIONS);

// --- the pool -----------------------------------------------------------------------------------------
const fdsBefore = openFds();
const rssBefore = Deno.memoryUsage().rss;
const pool = new SessionPool({
  python: PYTHON_COMMAND,
  warmup: "import numpy as np",
  minIdle: 0, // every session is made on demand: the burst below pays for each fork and set-up
  maxSize: SESSIONS,
  acquireTimeoutMs: 600_000,
});
let poolProcesses: ProcessId[] = [];
let keeper: ProcessId | null = null;
/** Spares the keeper had forked ahead when memory was measured (counted in it). */
let spares = 0;
let ipykernel: Awaited<ReturnType<typeof startIpykernel>> = null;
const rows: Row[] = [];
const footnotes: string[] = [];
try {
  note("pool.start(): template interpreter, import numpy");
  let started = performance.now();
  await pool.start();
  const startMs = performance.now() - started;

  note(`acquire ${SESSIONS} sessions at once`);
  let acquired = 0;
  started = performance.now();
  const sessions = await Promise.all(
    Array.from({ length: SESSIONS }, () =>
      pool.acquire().then((session) => {
        if (++acquired % 250 === 0) note(`  ${acquired} acquired`);
        return session;
      })),
  );
  const acquireMs = performance.now() - started;

  note("set each session's private state, then ask each for it back");
  await Promise.all(sessions.map((session, i) => setState(session, i)));
  started = performance.now();
  await Promise.all(sessions.map((session, i) => checkState(session, i)));
  const checkMs = performance.now() - started;

  note("memory and fds");
  const parents = new Set(
    await Promise.all(sessions.map(async (s) => (await readStat(s.pid))?.ppid)),
  );
  if (parents.size !== 1 || parents.has(undefined)) {
    throw new Error(
      `expected every interpreter to be a child of one keeper, got parents ${[...parents]}`,
    );
  }
  keeper = await readStat([...parents][0]!);
  if (!keeper) throw new Error("the keeper ended while its sessions were alive");
  poolProcesses = [keeper, ...await descendants(keeper.pid)];
  spares = poolProcesses.length - 1 - SESSIONS;
  const pssTotal = (await Promise.all(poolProcesses.map((p) => pss(p.pid)))).reduce((a, b) =>
    a + b
  );
  const pssPerSession = pssTotal / SESSIONS;
  const fdsLoaded = openFds();
  const rssLoaded = Deno.memoryUsage().rss;

  note("ipykernel with numpy, beside the sessions");
  ipykernel = await startIpykernel();
  const kernelPss = ipykernel ? await pss(ipykernel.pid) : NaN;
  if (!ipykernel) {
    footnotes.push(
      `ipykernel not installed: skipped (ipykernel/jupyter_client do not import in ${python.executable}).`,
    );
  }

  const perSession = acquireMs / SESSIONS;
  rows.push(row({
    measure: `acquire ${SESSIONS} sessions at once, total / per session`,
    ours: `${ms(acquireMs)} / ${ms(perSession)}`,
    baseline: "bare forks of a numpy process, connected",
    baselineValue: `${ms(floor.ms)} / ${ms(floor.ms / SESSIONS)}`,
    ratio: ratio(acquireMs, floor.ms),
    target: `<= ${TARGET_MS_PER_SESSION} ms/session`,
    met: met(perSession <= TARGET_MS_PER_SESSION),
  }));
  rows.push(row({
    measure: `memory per session: PSS of ${poolProcesses.length} processes / ${SESSIONS}`,
    ours: `${(pssPerSession / MiB).toFixed(2)} MiB`,
    baseline: ipykernel
      ? "one ipykernel with numpy, PSS, beside"
      : "ipykernel not installed: skipped",
    baselineValue: ipykernel ? `${(kernelPss / MiB).toFixed(1)} MiB` : "n/a",
    ratio: ratio(pssPerSession, kernelPss),
    target: `<= ${TARGET_MIB_PER_SESSION} MiB/session`,
    met: met(pssPerSession <= TARGET_MIB_PER_SESSION * MiB),
  }));
  rows.push(row({
    measure: "  same",
    ours: `${(pssPerSession / MiB).toFixed(2)} MiB`,
    baseline: "bare forks of a numpy process, PSS / count",
    baselineValue: `${(floor.pss / (floor.processes - 1) / MiB).toFixed(2)} MiB`,
    ratio: ratio(pssPerSession, floor.pss / (floor.processes - 1)),
  }));
  rows.push(row({
    measure: `one execution in each session (checks its state), total / per session`,
    ours: `${ms(checkMs)} / ${ms(checkMs / SESSIONS)}`,
  }));
  rows.push(row({
    measure: `open fds in Deno with ${SESSIONS} sessions (per session)`,
    ours: `${fdsLoaded} (${((fdsLoaded - fdsBefore) / SESSIONS).toFixed(2)})`,
    baseline: "before pool.start()",
    baselineValue: String(fdsBefore),
  }));
  rows.push(row({
    measure: "Deno RSS growth per session",
    ours: `${((rssLoaded - rssBefore) / SESSIONS / KiB).toFixed(0)} KiB`,
    baseline: "Deno RSS before pool.start()",
    baselineValue: `${(rssBefore / MiB).toFixed(0)} MiB`,
  }));
  rows.push(row({
    measure: "pool.start() with `import numpy as np` warmup",
    ours: ms(startMs),
    baseline: 'cold `python -c "import numpy"`, p50',
    baselineValue: ms(coldNumpy.p50),
    ratio: ratio(startMs, coldNumpy.p50),
  }));
} finally {
  const kernel = ipykernel ? await readStat(ipykernel.pid) : null;
  await ipykernel?.stop();
  if (kernel && (await processesLeft([kernel], GONE_WITHIN_MS)).length > 0) {
    console.error(`!! the ipykernel (pid ${kernel.pid}) is still running after its peer ended`);
  }
  note("shutdown");
  const known = new Set(poolProcesses.map((p) => `${p.pid}/${p.startTime}`));
  for (const p of keeper ? await descendants(keeper.pid) : []) { // spares forked since the count
    if (!known.has(`${p.pid}/${p.startTime}`)) poolProcesses.push(p);
  }
  const started = performance.now();
  await pool.shutdown();
  const shutdownMs = performance.now() - started;
  const left = await processesLeft(poolProcesses, GONE_WITHIN_MS);
  rows.push(row({
    measure: `pool.shutdown(), then processes left of ${poolProcesses.length}`,
    ours: `${ms(shutdownMs)}, ${left.length} left`,
    target: "0 left",
    met: met(left.length === 0),
  }));
  if (left.length > 0) {
    console.error(`!! still running after shutdown(): pids ${left.map((p) => p.pid).join(" ")}`);
  }
}

const idlePercent = (idleBefore * 100).toFixed(0);
footnotes.unshift(
  `${SESSIONS} sessions acquired concurrently from a started pool (minIdle 0, maxSize ${SESSIONS}): each ` +
    "one is a fork of the numpy template, set up and connected. Memory: PSS (shared pages split between " +
    "the processes mapping them) from /proc/<pid>/smaps_rollup, summed over the keeper and every process " +
    `under it (${SESSIONS} interpreters and ${spares} spares forked ahead), divided by ${SESSIONS}; the ` +
    "floor's parent and children likewise; the ipykernel is measured while the sessions are alive. " +
    `Cold starts: p50 of ${COLD.iterations} after ${COLD.warmup} warm-up. CPU idle in the second ` +
    `before the run: ${idlePercent}%.`,
);
printTables(rows, footnotes);
