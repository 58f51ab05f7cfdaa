/**
 * Costs of transactions and checkpoints, each beside its baseline from the same run:
 * - savepoint cost: `x = 1` under `rollback_on_failure` (succeeds) against the default policy, at small state
 *   and at ~1 GiB live state (a 1 GiB numpy array plus a million small objects);
 * - rollback: `x = 1` under `rollback_always` against the default policy, at both sizes;
 * - checkpoint() and restore() (into a fresh session) of a 512 MB numpy array, in MB/s, against a bare
 *   Python peer moving the same number of bytes over a unix socket;
 * - checkpoint() of 100,000 small objects against `pickle.dumps` of them inside the session.
 *
 * Run: `npx -y deno@2.9.6 run -A bench/transactions.ts`
 *
 * @module
 */
import { Session } from "../lib/session.ts";
import type { Checkpoint } from "../lib/checkpoint.ts";
import type { TransactionPolicy } from "../lib/results.ts";
import { FramePeer } from "./_frame_peer.ts";
import {
  hasModule,
  mbPerSecond,
  met,
  ms,
  msPair,
  note,
  printHeader,
  printTables,
  PYTHON_COMMAND,
  rate,
  ratio,
  type Row,
  summarize,
  type Summary,
  timeOnce,
} from "./_bench.ts";

const POLICIES: TransactionPolicy[] = ["commit_always", "rollback_on_failure", "rollback_always"];
const SMALL = { warmup: 20, iterations: 300, block: 50 };
const LARGE = { warmup: 3, iterations: 40, block: 10 };
const TRANSFER = { warmup: 1, iterations: 3 };
const OBJECTS = { warmup: 1, iterations: 5 };
const LARGE_STATE =
  "import numpy as np\nbig = np.ones(2**27)\nsmall = [object() for _ in range(10**6)]\nx = 0";
const ARRAY_STATE = "import numpy as np\na = np.ones(2**26)";
const OBJECT_STATE = [
  "class Point:",
  "    def __init__(self, i):",
  "        self.i = i",
  "points = [Point(i) for i in range(100_000)]",
  "numbers = {i: i for i in range(100_000)}",
].join("\n");

const python = await printHeader("PyREPL3 transactions and checkpoints");
const numpy = await hasModule(python.executable, "numpy");
const rows: Row[] = [];
const footnotes: string[] = [];

/** Starts a session, runs `setup`, calls `fn`, and always shuts the session down. */
async function withSession<T>(setup: string, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = new Session({ python: PYTHON_COMMAND });
  try {
    await session.start();
    await run(session, setup);
    return await fn(session);
  } finally {
    await session.shutdown();
  }
}

/** Executes `code` and throws unless it succeeded. */
async function run(session: Session, code: string, transaction?: TransactionPolicy): Promise<void> {
  const result = await session.execute(code, transaction ? { transaction } : {});
  if (result.status !== "ok") {
    throw new Error(
      `${JSON.stringify(code.slice(0, 40))} failed: ${result.error?.traceback ?? result.status}`,
    );
  }
}

/**
 * Times `x = 1` under each policy in alternating blocks of consecutive runs, so that every policy sees the
 * same machine load, and each run pays for whatever clean-up its predecessor of the same policy left (the
 * savepoint it discarded, the process a rollback replaced). The first run of a block is not counted.
 */
async function policyTimes(
  session: Session,
  policies: TransactionPolicy[],
  counts: { warmup: number; iterations: number; block: number },
): Promise<Map<TransactionPolicy, Summary>> {
  const times = new Map<TransactionPolicy, number[]>(policies.map((p) => [p, []]));
  for (const policy of policies) {
    for (let i = 0; i < counts.warmup; i++) await run(session, "x = 1", policy);
  }
  while (times.get(policies[0])!.length < counts.iterations) {
    for (const policy of policies) {
      const samples = times.get(policy)!;
      for (let i = 0; i <= counts.block && samples.length < counts.iterations; i++) {
        const elapsed = await timeOnce(() => run(session, "x = 1", policy));
        if (i > 0) samples.push(elapsed);
      }
    }
  }
  return new Map([...times].map(([policy, samples]) => [policy, summarize(samples)]));
}

/**
 * The floor of a savepoint: a bare `os.fork()` of the same interpreter with a socketpair handshake (what a
 * savepoint needs at least), timed inside Python. Alone, the child is reaped (untimed) before the next
 * fork. Back to back, the cell `x = 1` runs after each fork and the children are reaped later, as the
 * session does: each fork then also pays the copy-on-write faults of the run and overlaps the exit of the
 * previous child, like consecutive transactions do.
 */
async function forkFloor(
  session: Session,
  iterations: number,
  backToBack: boolean,
): Promise<Summary> {
  const result = await session.execute([
    "def _bench_fork_times(n, back_to_back):",
    "    import os, socket, time",
    "    times, children = [], []",
    "    for _ in range(n):",
    "        start = time.perf_counter()",
    "        ours, theirs = socket.socketpair()",
    "        pid = os.fork()",
    "        if pid == 0:",
    "            ours.close()",
    "            theirs.recv(1)",
    "            os._exit(0)",
    "        theirs.close()",
    "        if back_to_back:",
    "            exec(compile('x = 1', '<floor>', 'exec'), {})",
    "        ours.sendall(b'D')",
    "        ours.close()",
    "        times.append((time.perf_counter() - start) * 1000)",
    "        children.append(pid)",
    "        for child in list(children):",
    "            if not back_to_back or os.waitpid(child, os.WNOHANG)[0]:",
    "                if not back_to_back:",
    "                    os.waitpid(child, 0)",
    "                children.remove(child)",
    "    for child in children:",
    "        os.waitpid(child, 0)",
    "    return times",
    `_bench_fork_times(${iterations}, ${backToBack ? "True" : "False"})`,
  ].join("\n"));
  const times = result.value;
  if (result.status !== "ok" || !Array.isArray(times) || times.some((t) => typeof t !== "number")) {
    throw new Error(`the fork floor failed: ${result.error?.traceback ?? result.status}`);
  }
  await run(session, "del _bench_fork_times");
  return summarize(times as number[]);
}

/** Times the policies and the fork floor in one session. */
async function transactionTimes(
  session: Session,
  counts: { warmup: number; iterations: number; block: number },
): Promise<TransactionTimes> {
  const times = await policyTimes(session, POLICIES, counts);
  const forks = Math.min(counts.iterations, 100);
  return {
    times,
    fork: await forkFloor(session, forks, false),
    forkAndRun: await forkFloor(session, forks, true),
  };
}

/** The policies' times and the two fork floors of one state size. */
interface TransactionTimes {
  times: Map<TransactionPolicy, Summary>;
  fork: Summary;
  forkAndRun: Summary;
}

/** Adds the savepoint and rollback rows for one state size. */
function transactionRows(
  label: string,
  { times, fork, forkAndRun }: TransactionTimes,
  savepointTarget: number,
): void {
  const plain = times.get("commit_always")!;
  const guarded = times.get("rollback_on_failure")!;
  const rolled = times.get("rollback_always")!;
  const extra = guarded.p50 - plain.p50;
  rows.push({
    measure: `\`x = 1\` rollback_on_failure, ${label}, p50 / p99`,
    ours: msPair(guarded),
    baseline: "same under the default policy",
    baselineValue: msPair(plain),
    ratio: ratio(guarded.p50, plain.p50),
    target: "",
    met: "",
  });
  rows.push({
    measure: `savepoint cost (p50 difference), ${label}`,
    ours: ms(extra),
    baseline: "bare os.fork() + handshake, p50",
    baselineValue: ms(fork.p50),
    ratio: ratio(extra, fork.p50),
    target: `<= ${savepointTarget} ms`,
    met: met(extra <= savepointTarget),
  });
  rows.push({
    measure: `savepoint cost (p50 difference), ${label}`,
    ours: ms(extra),
    baseline: "bare fork + run `x = 1`, back to back, p50",
    baselineValue: ms(forkAndRun.p50),
    ratio: ratio(extra, forkAndRun.p50),
    target: "",
    met: "",
  });
  rows.push({
    measure: `\`x = 1\` rollback_always, ${label}, p50 / p99`,
    ours: msPair(rolled),
    baseline: "same under the default policy",
    baselineValue: msPair(plain),
    ratio: ratio(rolled.p50, plain.p50),
    target: "",
    met: "",
  });
}

// --- savepoints and rollbacks -------------------------------------------------------------------------
note("transactions: small state");
transactionRows(
  "small state",
  await withSession("x = 0", (s) => transactionTimes(s, SMALL)),
  2,
);
if (numpy) {
  note("transactions: ~1 GiB state");
  transactionRows(
    "1 GiB state",
    await withSession(LARGE_STATE, (s) => transactionTimes(s, LARGE)),
    10,
  );
} else {
  footnotes.push("skipped the 1 GiB state rows: numpy is not installed for this Python.");
}
footnotes.push(
  `transactions: ${SMALL.iterations} runs per policy at small state, ${LARGE.iterations} at 1 GiB state ` +
    "(np.ones(2**27) + 10**6 object()), in alternating blocks of consecutive runs after a warm-up; a run's " +
    "time includes the clean-up its predecessor left, e.g. the process a rollback replaced. The fork floors " +
    "are timed inside Python (up to 100 forks of the session's interpreter): alone (each child reaped before " +
    "the next fork) and back to back (the cell runs after each fork, children reaped later, as the session does).",
);

// --- checkpoint/restore of 512 MB ---------------------------------------------------------------------
if (numpy) {
  note("checkpoint: 512 MB array");
  const checkpointMs: number[] = [];
  let checkpoint: Checkpoint | null = null;
  await withSession(ARRAY_STATE, async (session) => {
    for (let i = 0; i < TRANSFER.warmup + TRANSFER.iterations; i++) {
      checkpoint = null; // let the previous one go before taking the next
      const elapsed = await timeOnce(async () => (checkpoint = await session.checkpoint()));
      if (i >= TRANSFER.warmup) checkpointMs.push(elapsed);
    }
  });
  const saved = checkpoint! as Checkpoint;
  note("restore: 512 MB array into fresh sessions");
  const restoreMs: number[] = [];
  for (let i = 0; i < TRANSFER.warmup + TRANSFER.iterations; i++) {
    await withSession("", async (session) => {
      const elapsed = await timeOnce(() => session.restore(saved));
      const check = await session.execute("float(a.sum()) == 2**26");
      if (check.value !== true) {
        throw new Error(`the restored array is wrong: ${check.repr ?? check.status}`);
      }
      if (i >= TRANSFER.warmup) restoreMs.push(elapsed);
    });
  }
  note("checkpoint/restore floor: bare Python peer over a unix socket");
  const bytes = saved.data.length;
  const receiveMs: number[] = [];
  const sendMs: number[] = [];
  const peer = await FramePeer.start(python.executable, "unix");
  try {
    for (let i = 0; i < TRANSFER.warmup + TRANSFER.iterations; i++) {
      const elapsed = await timeOnce(() => peer.receive(bytes));
      if (i >= TRANSFER.warmup) receiveMs.push(elapsed);
    }
    for (let i = 0; i < TRANSFER.warmup + TRANSFER.iterations; i++) {
      const elapsed = await timeOnce(() => peer.send(saved.data));
      if (i >= TRANSFER.warmup) sendMs.push(elapsed);
    }
  } finally {
    await peer.close();
  }
  const ARRAY_BYTES = 2 ** 29;
  const pairs = [
    [
      "checkpoint() of a 512 MB array",
      checkpointMs,
      "Python sends the checkpoint's bytes, bare",
      receiveMs,
    ],
    [
      "restore() of it into a fresh session",
      restoreMs,
      "Deno sends the checkpoint's bytes, bare",
      sendMs,
    ],
  ] as const;
  for (const [measure, times, baseline, floorTimes] of pairs) {
    const ours = mbPerSecond(ARRAY_BYTES, summarize([...times]).p50);
    const floor = mbPerSecond(ARRAY_BYTES, summarize([...floorTimes]).p50);
    rows.push({
      measure,
      ours: rate(ours),
      baseline,
      baselineValue: rate(floor),
      ratio: ratio(ours, floor),
      target: ">= 500 MB/s",
      met: met(ours >= 500),
    });
  }
  footnotes.push(
    `checkpoint/restore: median of ${TRANSFER.iterations} after ${TRANSFER.warmup} warm-up; MB/s of the 512 MiB ` +
      `array (checkpoint ${
        (bytes / 2 ** 20).toFixed(0)
      } MiB); the floor moves the same bytes over a unix socket.`,
  );
} else {
  footnotes.push(
    "skipped checkpoint/restore of the 512 MB array: numpy is not installed for this Python.",
  );
}

// --- checkpoint of 100k small objects -----------------------------------------------------------------
note("checkpoint: 100k small objects");
const [objectsMs, pickleMs] = await withSession(OBJECT_STATE, async (session) => {
  const ours: number[] = [];
  const peer: number[] = [];
  await run(session, "import pickle");
  for (let i = 0; i < OBJECTS.warmup + OBJECTS.iterations; i++) {
    const a = await timeOnce(() => session.checkpoint());
    const b = await timeOnce(() =>
      run(session, "_ = len(pickle.dumps((points, numbers), protocol=5))")
    );
    if (i >= OBJECTS.warmup) {
      ours.push(a);
      peer.push(b);
    }
  }
  return [summarize(ours), summarize(peer)];
});
rows.push({
  measure: "checkpoint() of 100k objects + dict of 100k ints",
  ours: ms(objectsMs.p50),
  baseline: "`pickle.dumps` of them, in the session",
  baselineValue: ms(pickleMs.p50),
  ratio: ratio(objectsMs.p50, pickleMs.p50),
  target: "< 1000 ms",
  met: met(objectsMs.p50 < 1000),
});
footnotes.push(
  `100k objects: p50 of ${OBJECTS.iterations} after ${OBJECTS.warmup} warm-up; instances of a session-defined ` +
    "class; the pickle baseline is an execute() round trip.",
);

printTables(rows, footnotes);
