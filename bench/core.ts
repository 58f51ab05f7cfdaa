/**
 * Core costs of a Session against their floors, measured in the same run:
 * - the round trip of `x = x + 1` against a bare Python frame echo over pipes and over a unix socket;
 * - start-to-ready of a Session against `python -c pass`;
 * - stdout throughput of a 100 MB print through `onOutput` against the same code writing to a raw pipe.
 *
 * Run: `npx -y deno@2.9.6 run -A bench/core.ts`
 *
 * @module
 */
import { Session } from "../lib/session.ts";
import { encodeMessage } from "../lib/protocol.ts";
import { FramePeer, type PeerTransport } from "./_frame_peer.ts";
import {
  coldSessionStartTimes,
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
  runPython,
  sample,
  summarize,
  timeOnce,
} from "./_bench.ts";

const ROUND_TRIP = { warmup: 300, iterations: 3000 };
const START = { warmup: 2, iterations: 20 };
const THROUGHPUT = { warmup: 1, iterations: 3 };
const PRINT_BYTES = 100 * 2 ** 20;
const PRINT_CODE =
  "import sys\nchunk = 'x' * 1023 + '\\n'\nfor _ in range(102400): sys.stdout.write(chunk)";

const python = await printHeader("PyREPL3 core: round trip, start, output throughput");
const rows: Row[] = [];
const footnotes: string[] = [];

// --- round trip -------------------------------------------------------------------------------------
note("round trip: session");
const ours = await (async () => {
  const session = new Session({ python: PYTHON_COMMAND });
  try {
    await session.start();
    await session.execute("x = 0");
    return summarize(
      await sample(async () => {
        const result = await session.execute("x = x + 1");
        if (result.status !== "ok") throw new Error(`x = x + 1 failed: ${result.status}`);
      }, ROUND_TRIP),
    );
  } finally {
    await session.shutdown();
  }
})();

// The same exec message our session sends, framed and read with the same FrameReader.
const execPayload = encodeMessage({
  t: "exec",
  id: "e12345",
  code: "x = x + 1",
  transaction: "commit_always",
});
const floors = new Map<PeerTransport, ReturnType<typeof summarize>>();
for (const transport of ["pipe", "unix"] as const) {
  note(`round trip: floor over ${transport}`);
  const peer = await FramePeer.start(python.executable, transport);
  try {
    floors.set(
      transport,
      summarize(
        await sample(async () => {
          const echoed = await peer.request(execPayload);
          if (echoed.length !== execPayload.length) {
            throw new Error("the floor peer echoed a different frame");
          }
        }, ROUND_TRIP),
      ),
    );
  } finally {
    await peer.close();
  }
}
for (
  const [transport, label] of [["pipe", "echo over stdin/stdout"], [
    "unix",
    "echo over unix socket",
  ]] as const
) {
  const floor = floors.get(transport)!;
  rows.push({
    measure: "execute `x = x + 1` p50 / p99",
    ours: msPair(ours),
    baseline: `bare Python frame ${label}`,
    baselineValue: msPair(floor),
    ratio: ratio(ours.p50, floor.p50),
    target: "p50 <= 2x floor",
    met: met(ours.p50 <= 2 * floor.p50),
  });
}
footnotes.push(
  `round trip: ${ROUND_TRIP.iterations} iterations after ${ROUND_TRIP.warmup} warm-up; ` +
    `floor frames are the same ${execPayload.length}-byte msgpack exec message, read with lib/frames.ts.`,
);

// --- start-to-ready -----------------------------------------------------------------------------------
note("start: session");
const startTimes = await coldSessionStartTimes(START);
note("start: python -c pass");
const bare = summarize(await sample(() => runPython(python.executable, ["-c", "pass"]), START));
const sessionStart = summarize(startTimes);
rows.push({
  measure: "Session start() to ready, p50",
  ours: ms(sessionStart.p50),
  baseline: "`python -c pass` spawned and awaited",
  baselineValue: ms(bare.p50),
  ratio: ratio(sessionStart.p50, bare.p50),
  target: "<= 1.5x bare start",
  met: met(sessionStart.p50 <= 1.5 * bare.p50),
});
footnotes.push(
  `start: ${START.iterations} runs each after ${START.warmup} warm-up; the python path is resolved once.`,
);

// --- stdout throughput --------------------------------------------------------------------------------
note("throughput: session onOutput");
const oursMs: number[] = [];
{
  const session = new Session({ python: PYTHON_COMMAND, maxOutputChars: 1024 });
  try {
    await session.start();
    for (let i = 0; i < THROUGHPUT.warmup + THROUGHPUT.iterations; i++) {
      let chars = 0;
      const elapsed = await timeOnce(async () => {
        const result = await session.execute(PRINT_CODE, {
          onOutput: (_stream, data) => (chars += data.length),
        });
        if (result.status !== "ok") throw new Error(`the print cell failed: ${result.status}`);
      });
      if (chars !== PRINT_BYTES) {
        throw new Error(`onOutput saw ${chars} characters, expected ${PRINT_BYTES}`);
      }
      if (i >= THROUGHPUT.warmup) oursMs.push(elapsed);
    }
  } finally {
    await session.shutdown();
  }
}
note("throughput: raw pipe");
const rawMs: number[] = [];
for (let i = 0; i < THROUGHPUT.warmup + THROUGHPUT.iterations; i++) {
  let bytes = 0;
  let firstByte = 0;
  const child = new Deno.Command(python.executable, {
    args: ["-c", PRINT_CODE],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Timed from the first byte: the interpreter's own start is not part of a session's execute() either.
  for await (const chunk of child.stdout) {
    if (bytes === 0) firstByte = performance.now();
    bytes += chunk.length;
  }
  const elapsed = performance.now() - firstByte;
  await child.status;
  if (bytes !== PRINT_BYTES) {
    throw new Error(`the raw pipe carried ${bytes} bytes, expected ${PRINT_BYTES}`);
  }
  if (i >= THROUGHPUT.warmup) rawMs.push(elapsed);
}
const oursRate = mbPerSecond(PRINT_BYTES, summarize(oursMs).p50);
const rawRate = mbPerSecond(PRINT_BYTES, summarize(rawMs).p50);
rows.push({
  measure: "stdout 100 MB via onOutput",
  ours: rate(oursRate),
  baseline: "same code, `python -c` to a raw pipe",
  baselineValue: rate(rawRate),
  ratio: ratio(oursRate, rawRate),
  target: ">= 0.5x raw pipe",
  met: met(oursRate >= 0.5 * rawRate),
});
footnotes.push(
  `throughput: median of ${THROUGHPUT.iterations} runs after ${THROUGHPUT.warmup} warm-up; ` +
    "the raw pipe is timed from its first byte (without the interpreter start).",
);

printTables(rows, footnotes);
