/**
 * Issue 15, as an outsider checks it: "a failing comparison writes the actual image and a diff
 * image next to the report". The images are written beside the snapshot (README), and a report
 * written to a file now gets copies beside it too, keeping their path from the working directory;
 * before, a report directory (a CI artifact) had no image of the failure. Needs no matplotlib:
 * the image is a PNG the standard library writes.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { runCli, tempScenarios } from "./_helpers/cli.ts";
import { requirePython } from "./_helpers/python_has.ts";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";

const PANDAS_PYTHON = Deno.env.get("PYREPL3_MPL_PYTHON") ?? "/usr/bin/python3";
const hasPandas = requirePython(PANDAS_PYTHON, "pandas", "the pandas DataFrame test");

function scenario(color: string): string {
  return `name: square
steps:
  - exec: |
      import struct, zlib
      class Square:
          def _repr_png_(self, size=8, rgb=bytes(${color})):
              rows = b"".join(b"\\0" + rgb * size for _ in range(size))
              chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
              head = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
              return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
      display(Square())
    expect:
      display:
        - image/png: { snapshot: plots/square.png, tolerance: 0.01 }
`;
}

async function files(dir: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${under}`)) {
    const path = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory) found.push(...await files(dir, path));
    else found.push(path);
  }
  return found.sort();
}

Deno.test("a failed image snapshot leaves the actual and diff images beside the snapshot and beside each report file", async () => {
  const dir = await tempScenarios({ "square.yaml": scenario("(255, 0, 0)") });
  try {
    const written = await runCli(["square.yaml", "--update", "--python", TEST_PYTHON], {
      cwd: dir,
    });
    equal(written.code, 0, written.stdout + written.stderr);
    const passing = await runCli(["square.yaml", "-r", "json:out/report.json"], { cwd: dir });
    equal(passing.code, 0, passing.stdout + passing.stderr);
    deepStrictEqual(await files(`${dir}/out`), ["report.json"]);

    await Deno.writeTextFile(`${dir}/square.yaml`, scenario("(0, 0, 255)"));
    const failing = await runCli([
      "square.yaml",
      "--python",
      TEST_PYTHON,
      "-r",
      "pretty",
      "-r",
      "json:out/report.json",
      "-r",
      "junit:junit/report.xml",
    ], { cwd: dir });
    equal(failing.code, 1, failing.stdout + failing.stderr);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/out/report.json`));
    const { snapshot } = report.scenarios[0].steps[0].failures[0];
    equal(snapshot.actualFile, "plots/square.actual.png");
    equal(snapshot.diffFile, "plots/square.diff.png");
    deepStrictEqual(await files(`${dir}/plots`), [
      "square.actual.png",
      "square.diff.png",
      "square.png",
    ]);
    deepStrictEqual(await files(`${dir}/out`), [
      "plots/square.actual.png",
      "plots/square.diff.png",
      "report.json",
    ]);
    deepStrictEqual(await files(`${dir}/junit`), [
      "plots/square.actual.png",
      "plots/square.diff.png",
      "report.xml",
    ]);
    deepStrictEqual(
      await Deno.readFile(`${dir}/out/plots/square.diff.png`),
      await Deno.readFile(`${dir}/plots/square.diff.png`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a pandas DataFrame gives text/html through its own _repr_html_, as a value and displayed",
  ignore: !hasPandas,
  async fn() {
    await withSession(async (session) => {
      const result = await session.execute(
        'import pandas as pd\ndf = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})\ndisplay(df)\ndf',
      );
      equal(result.status, "ok", result.error?.traceback);
      for (const data of [result.data, result.displays?.[0]?.data]) {
        const html = data?.["text/html"];
        equal(typeof html, "string");
        equal(
          (html as string).includes('<table border="1" class="dataframe">'),
          true,
          String(html),
        );
        equal(data?.["text/plain"], "   a  b\n0  1  x\n1  2  y");
      }
    }, { python: PANDAS_PYTHON });
  },
});

Deno.test("a report written to a FIFO (as to /dev/stdout) goes through it: the FIFO stays, no image is copied beside it", async () => {
  const dir = await tempScenarios({ "square.yaml": scenario("(255, 0, 0)") });
  try {
    const written = await runCli(["square.yaml", "--update", "--python", TEST_PYTHON], {
      cwd: dir,
    });
    equal(written.code, 0, written.stdout + written.stderr);
    await Deno.writeTextFile(`${dir}/square.yaml`, scenario("(0, 0, 255)"));
    await Deno.mkdir(`${dir}/out`);
    const fifo = `${dir}/out/report.json`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    equal(made.code, 0);
    // The reader is bounded: a CLI that never opened the FIFO would leave `timeout` to end it.
    const reader = new Deno.Command("timeout", { args: ["60", "cat", fifo], stdout: "piped" })
      .spawn();
    const run = await runCli(["square.yaml", "--python", TEST_PYTHON, "-r", `json:${fifo}`], {
      cwd: dir,
    });
    equal(run.code, 1, run.stdout + run.stderr);
    const read = await reader.output();
    equal(read.code, 0, "the report reached the reader");
    const report = JSON.parse(new TextDecoder().decode(read.stdout));
    equal(report.scenarios[0].status, "failed");
    // Renamed over, the FIFO was a regular file; as root, /dev/stdout or /dev/null would be too.
    ok((await Deno.lstat(fifo)).isFifo, "still a FIFO");
    deepStrictEqual(await files(`${dir}/out`), ["report.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--update rewrites failing display:/data: text and JSON expectations, keeps passing matchers and snapshots", async () => {
  const dir = await tempScenarios({
    "rich.yaml": `name: rich
steps:
  - exec: |
      class T:
          def _repr_html_(self): return "<b>new</b>"
          def _repr_json_(self): return {"v": 2}
          def __repr__(self): return "T()"
      display(T())
      display("extra")
      T()
    expect:
      display:
        - text/html: "<b>old</b>"
          application/json: { v: 1 }
          text/plain: { contains: "T(" }
      data:
        text/html: { contains: "<i>" }
  - exec: display(1)
    expect:
      display: [{ text/plain: "2" }, { text/plain: "3" }]
      data: { text/plain: "x" }
`,
  });
  try {
    // Before, the step stayed failed and the file unchanged, with nothing said.
    const updated = await runCli(["rich.yaml", "--update", "--python", TEST_PYTHON], { cwd: dir });
    equal(updated.code, 0, updated.stdout + updated.stderr);
    const text = await Deno.readTextFile(`${dir}/rich.yaml`);
    ok(text.includes("- text/html: <b>new</b>"), text);
    ok(text.includes("contains: T("), text);
    ok(text.includes("- text/plain: \"'extra'\""), text);
    ok(!text.includes("<i>") && !text.includes('"x"'), text);
    const again = await runCli(["rich.yaml", "--python", TEST_PYTHON], { cwd: dir });
    equal(again.code, 0, again.stdout + again.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
