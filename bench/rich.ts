/**
 * Rich output against plain stdout, measured in the same run and the same session:
 * - a 640x480 PNG figure shown by `plt.show()` until its `display` event arrives, against the same
 *   figure rendered to the same PNG and printed as base64 on stdout until that output has arrived;
 * - 100 small `display(i)` calls against 100 `print(i)` calls, each until the execution's result.
 *
 * The figure rows need matplotlib: they run under `$BENCH_MPL_PYTHON` (default Debian's
 * /usr/bin/python3 with python3-matplotlib), the display() rows under `$BENCH_PYTHON`.
 *
 * Run: `npx -y deno@2.9.6 run -A bench/rich.ts`
 *
 * @module
 */
import { Session } from "../lib/session.ts";
import type { ExecutionEvent } from "../lib/results.ts";
import {
  hasModule,
  met,
  msPair,
  note,
  printHeader,
  printTables,
  PYTHON_COMMAND,
  ratio,
  type Row,
  sample,
  summarize,
} from "./_bench.ts";

const FIGURE = { warmup: 5, iterations: 40 };
const DISPLAYS = { warmup: 30, iterations: 300 };
const MPL_PYTHON = Deno.env.get("BENCH_MPL_PYTHON") ?? "/usr/bin/python3";

const DRAW = "plt.figure(); plt.plot(xs, ys); plt.title('bench')";
const FIGURE_SHOW = `${DRAW}\nplt.show()`;
const FIGURE_PRINT =
  `${DRAW}\nbuf = io.BytesIO(); plt.gcf().savefig(buf, format="png", dpi="figure")
plt.close("all"); sys.stdout.write(base64.b64encode(buf.getvalue()).decode() + "\\n")`;

await printHeader("PyREPL3 rich output: display events against plain stdout");
const rows: Row[] = [];
const footnotes: string[] = [];

// --- figure ------------------------------------------------------------------------------------------
const mplPath = await (async () => {
  try {
    return (await hasModule(MPL_PYTHON, "matplotlib")) ? MPL_PYTHON : undefined;
  } catch {
    return undefined;
  }
})();
if (mplPath === undefined) {
  footnotes.push(`(figure rows skipped: ${MPL_PYTHON} cannot import matplotlib)`);
} else {
  note(`figure: plt.show() vs base64 on stdout (${MPL_PYTHON})`);
  const session = new Session({ python: mplPath });
  try {
    await session.start();
    await session.execute(
      "import io, sys, base64, math\nimport matplotlib.pyplot as plt\n" +
        "xs = list(range(1000)); ys = [math.sin(x / 50) for x in xs]",
    );
    const shown = await eventTimes(session, FIGURE_SHOW, (e) => e.type === "display");
    const printed = await eventTimes(session, FIGURE_PRINT, (_e, text) => text.endsWith("\n"));
    const check = await session.execute(FIGURE_SHOW);
    const png = check.displays?.[0]?.data["image/png"];
    if (!(png instanceof Uint8Array)) throw new Error("plt.show() sent no image/png");
    const ours = summarize(shown);
    const floor = summarize(printed);
    rows.push({
      measure: `640x480 PNG (${Math.round(png.length / 1024)} KiB): plt.show() → display event`,
      ours: msPair(ours),
      baseline: "same PNG as base64 on stdout → output",
      baselineValue: msPair(floor),
      ratio: ratio(ours.p50, floor.p50),
      target: "<= 1.2x",
      met: met(ours.p50 <= 1.2 * floor.p50),
    });
  } finally {
    await session.shutdown();
  }
}

// --- 100 displays ------------------------------------------------------------------------------------
note("100 display() calls vs 100 print() calls");
{
  const session = new Session({ python: PYTHON_COMMAND });
  try {
    await session.start();
    const displayed = await sample(async () => {
      const result = await session.execute("for i in range(100): display(i)");
      if (result.displays?.length !== 100) throw new Error("expected 100 displays");
    }, DISPLAYS);
    const printed = await sample(async () => {
      const result = await session.execute("for i in range(100): print(i)");
      if (result.stdout.split("\n").length !== 101) throw new Error("expected 100 lines");
    }, DISPLAYS);
    const ours = summarize(displayed);
    const floor = summarize(printed);
    rows.push({
      measure: "100 × display(i), execute() → result",
      ours: msPair(ours),
      baseline: "100 × print(i)",
      baselineValue: msPair(floor),
      ratio: ratio(ours.p50, floor.p50),
      target: "<= 10x",
      met: met(ours.p50 <= 10 * floor.p50),
    });
  } finally {
    await session.shutdown();
  }
}

footnotes.push(
  "Figure rows: time from execute() to the display event (ours) or to the last stdout chunk of the " +
    "base64 text (baseline); both render the same figure with Agg, so the ratio is the cost of the " +
    "display path. display() sends one frame per call at once (so it streams in order with stdout); " +
    "print() output is coalesced by the 2 ms flusher into one or two frames.",
);
printTables(rows, footnotes);

/** Times from execute() to the first event `isIt` accepts (the rest drained untimed), FIGURE times. */
async function eventTimes(
  session: Session,
  code: string,
  isIt: (event: ExecutionEvent, text: string) => boolean,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < FIGURE.warmup + FIGURE.iterations; i++) {
    const start = performance.now();
    let text = "";
    let at: number | undefined;
    for await (const event of session.execute(code)) {
      if (event.type === "output") text += event.data;
      if (at === undefined && isIt(event, text)) at = performance.now() - start;
      if (event.type === "result" && (at === undefined || event.result.status !== "ok")) {
        throw new Error(`bench cell failed or showed nothing: ${event.result.status}`);
      }
    }
    if (i >= FIGURE.warmup) times.push(at!);
  }
  return times;
}
