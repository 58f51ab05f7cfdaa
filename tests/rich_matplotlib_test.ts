/**
 * matplotlib figures as rich output, under an interpreter that has matplotlib: Debian's
 * /usr/bin/python3 with python3-matplotlib (.ci/run installs it), or `$PYREPL3_MPL_PYTHON`.
 * Skipped with a printed reason when it cannot import matplotlib.
 */
import { equal, ok } from "node:assert/strict";
import { decode } from "npm:fast-png@8.0.0";
import { withSession } from "./_helpers/session.ts";
import { requirePython } from "./_helpers/python_has.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import { formatPretty } from "../lib/report/pretty.ts";

const MPL_PYTHON = Deno.env.get("PYREPL3_MPL_PYTHON") ?? "/usr/bin/python3";
const hasMatplotlib = requirePython(MPL_PYTHON, "matplotlib", "the matplotlib tests");

function pngOf(data: unknown): { width: number; height: number } {
  ok(data instanceof Uint8Array, "image/png arrives as bytes");
  const { width, height } = decode(data);
  return { width, height };
}

Deno.test({
  name: "plt.show() and a figure left open send image/png at the figure size; figures are closed",
  ignore: !hasMatplotlib,
  async fn() {
    await withSession(async (session) => {
      const imported = await session.execute(
        "import sys; before = 'matplotlib' in sys.modules\n" +
          "import matplotlib.pyplot as plt\nbefore, plt.get_backend()",
      );
      equal(imported.repr, "(False, 'module://_pyrepl3_runner.inline_backend')");
      const shown = await session.execute(
        "plt.plot([1, 2, 3])\nplt.show()\nprint(len(plt.get_fignums()))\nplt.figure()\nplt.bar([1], [2])",
      );
      equal(shown.status, "ok", shown.error?.traceback);
      equal(shown.stdout, "0\n", "plt.show() closed the figure");
      equal(shown.displays?.length, 2, "plt.show()'s figure, then the one left open");
      for (const display of shown.displays ?? []) {
        const size = pngOf(display.data["image/png"]);
        equal(`${size.width}x${size.height}`, "640x480");
        ok(String(display.data["text/plain"]).startsWith("<Figure size 640x480"));
      }
      equal((await session.execute("len(plt.get_fignums())")).value, 0);
      const trailing = await session.execute("fig = plt.figure(); plt.close(fig); fig");
      equal(pngOf(trailing.data?.["image/png"]).width, 640);
    }, { python: MPL_PYTHON });
  },
});

Deno.test({
  name: "figureSize, figureDpi and figureFormats shape the figures",
  ignore: !hasMatplotlib,
  async fn() {
    await withSession(async (session) => {
      const result = await session.execute(
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
      );
      const [display] = result.displays ?? [];
      const size = pngOf(display.data["image/png"]);
      equal(`${size.width}x${size.height}`, "300x200");
      ok(String(display.data["image/svg+xml"]).includes("<svg"));
      equal((await session.execute("plt.rcParams['figure.dpi']")).value, 50);
    }, {
      python: MPL_PYTHON,
      figureSize: [300, 200],
      figureDpi: 50,
      figureFormats: ["png", "svg"],
    });
  },
});

const HISTOGRAM = (bins: number) =>
  `name: histogram
steps:
  - exec: |
      import matplotlib.pyplot as plt
      plt.hist([1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6], bins=${bins}, color="tab:blue")
      plt.title("values")
      plt.show()
    expect:
      display:
        - image/png: { snapshot: plots/hist.png, tolerance: 0.01 }
`;

Deno.test({
  name: "a histogram snapshot is written by --update, passes, then fails with other bins",
  ignore: !hasMatplotlib,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pyrepl3_hist_" });
    const file = `${dir}/hist.yaml`;
    try {
      await Deno.writeTextFile(file, HISTOGRAM(6));
      let report = await runScenarios([file], { python: MPL_PYTHON, update: true });
      equal(report.failed, 0, formatPretty(report));
      equal(`${pngOf(await Deno.readFile(`${dir}/plots/hist.png`)).width}`, "640");
      report = await runScenarios([file], { python: MPL_PYTHON });
      equal(report.failed, 0, formatPretty(report));
      await Deno.writeTextFile(file, HISTOGRAM(3));
      report = await runScenarios([file], { python: MPL_PYTHON });
      equal(report.failed, 1);
      const [failure] = report.scenarios[0].steps[0].failures;
      ok(/pixels \(.*%\) differ from snapshot/.test(failure.message), failure.message);
      equal(failure.snapshot?.diffFile, `${dir}/plots/hist.diff.png`);
      const diff = pngOf(await Deno.readFile(`${dir}/plots/hist.diff.png`));
      equal(`${diff.width}x${diff.height}`, "640x480");
      ok((await Deno.stat(`${dir}/plots/hist.actual.png`)).isFile);
      ok(formatPretty(report).includes("[image/png 640x480]"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a figure whose draw() raises SystemExit/ValueError is reported, never ends the worker",
  ignore: !hasMatplotlib,
  async fn() {
    await withSession(async (session) => {
      await session.execute(`import matplotlib.pyplot as plt
from matplotlib.artist import Artist
class Boom(Artist):
    def __init__(self, exc): super().__init__(); self.exc = exc
    def draw(self, renderer): raise self.exc`);
      for (const exc of ["SystemExit(4)", "ValueError('v')"]) {
        // Left open at the end of the cell: shown (and closed) after it, outside its handling.
        const open = await session.execute(`fig = plt.figure(); fig.add_artist(Boom(${exc})); 7`);
        equal(open.status, "ok", `${exc}: ${open.status}`);
        equal(open.repr, "7");
        ok(open.stderr.includes("failed: "), open.stderr);
        equal((await session.execute("plt.get_fignums()")).repr, "[]");
      }
      const stuck = await session.execute(
        "class Stuck(Artist):\n    def draw(self, renderer):\n        while True: pass\n" +
          "fig = plt.figure(); fig.add_artist(Stuck()); 7",
        { timeoutMs: 500, graceMs: 10000 },
      );
      equal(stuck.status, "timeout");
      equal(stuck.stateLost, false, "the drawing was interrupted, the worker not killed");
      equal((await session.execute("plt.get_fignums()")).repr, "[]");
      const shown = await session.execute(
        "fig = plt.figure(); fig.add_artist(Boom(ValueError('v'))); display(fig); print('after')",
      );
      equal(shown.status, "ok");
      equal(shown.stdout, "after\n");
      ok(String(shown.displays?.[0].data["text/plain"]).startsWith("<Figure size"));
      ok(shown.stderr.includes("drawing Figure failed: ValueError: v"), shown.stderr);
    }, { python: MPL_PYTHON });
  },
});

Deno.test({
  name: "100 cells each leaving a figure open: every one is shown once and none stays open",
  ignore: !hasMatplotlib,
  async fn() {
    await withSession(async (session) => {
      await session.execute("import matplotlib.pyplot as plt");
      let shown = 0;
      for (let i = 0; i < 100; i++) {
        const result = await session.execute(
          `plt.figure(figsize=(1, 1), dpi=10); plt.plot([${i}, 1]); len(plt.get_fignums())`,
        );
        equal(result.repr, "1");
        shown += result.displays?.length ?? 0;
      }
      equal(shown, 100);
      equal((await session.execute("plt.get_fignums()")).repr, "[]");
    }, { python: MPL_PYTHON });
  },
});
