/**
 * Checkpoints of a 512 MiB numpy array at memory speed, each beside its floor measured in the same run, in
 * alternating pairs so both see the same machine load:
 * - restore() from bytes into a fresh session against a bare Deno -> Python transfer of the same bytes over
 *   a unix socket (bench/_frame_peer.py reads them into a fresh buffer, as the worker does);
 * - checkpoint({ path }) against writing the same array with `open().write` in Python to a new file renamed
 *   over the previous copy (and with an fsync: a checkpoint file is flushed to disk before its rename);
 * - restore(path) into a fresh session against `np.load(mmap_mode="c")` of the same array (.npy).
 *
 * Run: `deno run -A bench/checkpoint_files.ts [size_mib]` (default 512)
 *
 * @module
 */
import { Session } from "../lib/session.ts";
import type { Checkpoint } from "../lib/checkpoint.ts";
import { FramePeer } from "./_frame_peer.ts";
import {
  hasModule,
  mbPerSecond,
  note,
  printHeader,
  printTables,
  PYTHON_COMMAND,
  rate,
  ratio,
  type Row,
  summarize,
  timeOnce,
} from "./_bench.ts";

const MIB = Number(Deno.args[0] ?? 512);
const BYTES = MIB * 2 ** 20;
const RUNS = { warmup: 1, iterations: 4 };
const ARRAY = `import numpy as np\na = np.ones(${BYTES / 8})`;

const python = await printHeader("PyREPL3 checkpoints at memory speed");
if (!(await hasModule(python.executable, "numpy"))) {
  console.log("numpy is not installed for this Python: nothing to measure.");
  Deno.exit(0);
}
const dir = await Deno.makeTempDir({ prefix: "pyrepl3-bench-ckpt-" });
const rows: Row[] = [];
const footnotes: string[] = [];

async function started(setup = ""): Promise<Session> {
  const session = new Session({ python: PYTHON_COMMAND });
  await session.start();
  if (setup) await run(session, setup);
  return session;
}

async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  if (result.status !== "ok") {
    throw new Error(`${code.slice(0, 40)} failed: ${result.error?.traceback ?? result.status}`);
  }
  return result.value;
}

/** Times `fn` with a fresh session (started and shut down untimed). */
async function inFresh(fn: (session: Session) => Promise<unknown>): Promise<number> {
  const session = await started();
  try {
    const elapsed = await timeOnce(() => fn(session));
    if ((await run(session, `float(a.sum()) == ${BYTES / 8}`)) !== true) {
      throw new Error("the restored array is wrong");
    }
    return elapsed;
  } finally {
    await session.shutdown();
  }
}

/** Runs `pairs` alternately (warm-up runs untimed); returns each one's times. */
async function alternate(pairs: (() => Promise<number>)[]): Promise<number[][]> {
  const times: number[][] = pairs.map(() => []);
  for (let i = 0; i < RUNS.warmup + RUNS.iterations; i++) {
    for (const [k, fn] of pairs.entries()) {
      const elapsed = await fn();
      if (i >= RUNS.warmup) times[k].push(elapsed);
    }
  }
  return times;
}

function row(
  measure: string,
  ours: number[],
  baseline: string,
  floor: number[],
  target = "",
): void {
  const oursRate = mbPerSecond(BYTES, summarize(ours).p50);
  const floorRate = mbPerSecond(BYTES, summarize(floor).p50);
  const pairRatios = ours.map((t, i) => floor[i] / t).sort((a, b) => a - b);
  rows.push({
    measure,
    ours: rate(oursRate),
    baseline,
    baselineValue: rate(floorRate),
    ratio: ratio(oursRate, floorRate),
    target,
    met: target ? (oursRate / floorRate >= 0.7 ? "yes" : "NO") : "",
  });
  footnotes.push(
    `${measure}: per-pair ratios ${pairRatios.map((r) => r.toFixed(2)).join(", ")}; ` +
      `ours ${ours.map((t) => t.toFixed(0)).join("/")} ms, floor ${
        floor.map((t) => t.toFixed(0)).join("/")
      } ms.`,
  );
}

try {
  const source = await started(ARRAY);
  let checkpoint: Checkpoint;
  try {
    checkpoint = await source.checkpoint();
    // --- checkpoint to a file vs open().write -------------------------------------------------------
    note("checkpoint({ path }) against open().write");
    const file = `${dir}/a.pyrepl3ckpt`;
    const raw = `${dir}/a.raw`;
    await run(source, "import os");
    // The floors write the same bytes to a new file and rename it over the old copy, as a checkpoint
    // file is written: the page cache then holds both files for a moment, as it does for ours.
    const write = (sync: boolean) =>
      timeOnce(() =>
        run(
          source,
          `with open(${JSON.stringify(`${raw}.new`)}, "wb") as f:\n    f.write(a)\n` +
            (sync ? "    f.flush()\n    os.fsync(f.fileno())\n" : "") +
            `os.replace(${JSON.stringify(`${raw}.new`)}, ${JSON.stringify(raw)})`,
        )
      );
    const [toFile, bare, bareSync] = await alternate([
      () => timeOnce(() => source.checkpoint({ path: file })),
      () => write(false),
      () => write(true),
    ]);
    row(
      "checkpoint({ path }) of the array",
      toFile,
      "`open().write` of it to a new file + rename",
      bare,
    );
    row("checkpoint({ path }) of the array", toFile, "same + fsync (as ours)", bareSync);
    await run(source, `np.save(${JSON.stringify(`${dir}/a.npy`)}, a)`);
  } finally {
    await source.shutdown();
  }

  // --- restore from bytes vs the bare socket transfer ---------------------------------------------------
  note("restore(bytes) against a bare Deno -> Python transfer");
  const peer = await FramePeer.start(python.executable, "unix");
  try {
    const [fromBytes, bare] = await alternate([
      () => inFresh((session) => session.restore(checkpoint)),
      () => timeOnce(() => peer.send(checkpoint.data)),
    ]);
    row(
      "restore(bytes) into a fresh session",
      fromBytes,
      "Deno sends the same bytes, bare",
      bare,
      ">= 0.7x",
    );
  } finally {
    await peer.close();
  }

  // --- restore from a file vs np.load(mmap_mode="c") ---------------------------------------------------
  note("restore(path) against np.load(mmap_mode='c')");
  const [fromFile, npLoad] = await alternate([
    () => inFresh((session) => session.restore(`${dir}/a.pyrepl3ckpt`)),
    async () => {
      const session = await started("import numpy as np");
      try {
        return await timeOnce(() =>
          run(session, `a = np.load(${JSON.stringify(`${dir}/a.npy`)}, mmap_mode="c")`)
        );
      } finally {
        await session.shutdown();
      }
    },
  ]);
  row("restore(path) into a fresh session", fromFile, "`np.load(mmap_mode='c')`", npLoad);
  footnotes.push(
    `${MIB} MiB array; median of ${RUNS.iterations} pairs after ${RUNS.warmup} warm-up, alternating ours ` +
      "and the floor. Files on the same disk, in the page cache (just written). restore(path) checks the " +
      "SHA-256 of every buffer before unpickling (reads the whole file); np.load only maps it.",
  );
  printTables(rows, footnotes);
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
