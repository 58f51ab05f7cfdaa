/**
 * Hostile inputs to rich output: formatters that raise anything, odd data, huge bundles, bad
 * snapshot files and options. Each test here failed before its fix.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { loadScenario } from "../lib/scenario/load.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import { checkDisplays } from "../lib/scenario/_bundle_check.ts";
import { formatHtml } from "../lib/report/html.ts";
import { formatJson } from "../lib/report/json.ts";
import { formatPretty } from "../lib/report/pretty.ts";
import { compareSnapshot, MAX_COMPARED_PIXELS, writeSnapshot } from "../lib/scenario/snapshot.ts";
import { encode } from "npm:fast-png@8.0.0";
import { deflateSync } from "node:zlib";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { InvalidOptionError, Session } from "../mod.ts";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";

Deno.test("a formatter raising SystemExit/KeyboardInterrupt/BaseException never ends the worker", async () => {
  await withSession(async (session) => {
    for (const raised of ["SystemExit(3)", "GeneratorExit", "Odd('x')"]) {
      const result = await session.execute(`
class Odd(BaseException): pass
class A:
    def _repr_html_(self): raise ${raised}
    def _repr_json_(self): return {"kept": 1}
    def __repr__(self): return "A()"
A()`);
      equal(result.status, "ok", `${raised}: ${result.status} ${result.error?.type}`);
      equal(result.repr, "A()");
      ok(result.stderr.includes("A._repr_html_ failed: "), result.stderr);
      deepStrictEqual(result.data?.["application/json"], { kept: 1 }, raised);
    }
    // KeyboardInterrupt is an interrupt wherever it is raised: the cell is interrupted, not ended.
    const interrupted = await session.execute(`
class K:
    def _repr_html_(self): raise KeyboardInterrupt
K()`);
    equal(interrupted.status, "interrupted");
    equal(interrupted.error?.type, "KeyboardInterrupt");
    const broken = await session.execute(`
class R:
    def __repr__(self): raise GeneratorExit("nope")
display(R()); print("after")`);
    equal(broken.status, "ok");
    equal(broken.stdout, "after\n");
    equal(broken.displays?.[0].data["text/plain"], "<repr failed: GeneratorExit: nope>");
    equal((await session.execute("1 + 1")).repr, "2");
  }, { python: TEST_PYTHON });
});

Deno.test("a trailing value's __repr__, formatter or open figure that never returns times out, state kept", async () => {
  await withSession(async (session) => {
    await session.execute("kept = 41");
    for (
      const code of [
        "class A:\n    def _repr_html_(self):\n        while True: pass\nA()",
        "class A:\n    def __repr__(self):\n        while True: pass\nA()",
      ]
    ) {
      const result = await session.execute(code, { timeoutMs: 500, graceMs: 10000 });
      equal(result.status, "timeout", code);
      equal(result.stateLost, false, "interrupted, not killed: " + code);
      equal((await session.execute("kept")).repr, "41");
    }
  });
});

Deno.test("binary MIME data that is an int is refused, not allocated (bytes(10**11))", async () => {
  await withSession(async (session) => {
    const result = await session.execute(`
class A:
    def _repr_png_(self): return 10**11
A()`);
    equal(result.status, "ok");
    equal(result.data?.["image/png"], undefined);
    ok(
      result.stderr.includes("image/png data must be bytes or a base64 str, not int"),
      result.stderr,
    );
  });
});

Deno.test("displays and the value's bundle are kept within maxOutputChars, with what was left out", async () => {
  await withSession(async (session) => {
    const result = await session.execute(`
display({"text/html": "h" * 600, "image/png": b"p" * 300}, raw=True)
display({"text/html": "x" * 100, "image/png": b"q" * 600}, raw=True)
display("tiny")
h = display({"text/plain": "small"}, raw=True, display_id="u")
h.update({"text/plain": "z" * 2000}, raw=True)
class Big:
    def _repr_png_(self): return b"b" * 5000
    def __repr__(self): return "Big()"
Big()`);
    equal(result.status, "ok");
    const [first, second, third, updated] = result.displays!;
    equal(first.data["text/html"], "h".repeat(600));
    equal((first.data["image/png"] as Uint8Array).length, 300);
    equal(first.omitted, undefined);
    ok(String(second.data["text/html"]).startsWith("x".repeat(100)), "text fits: kept");
    equal(second.data["image/png"], undefined, "an image over the budget is left out");
    deepStrictEqual(second.omitted, { "image/png": 600 });
    ok(String(third.data["text/plain"]).includes("output truncated, 6 more characters"));
    deepStrictEqual(updated.omitted, { "text/plain": 2000 });
    const meta = await session.execute(`display(1, metadata={"big": "m" * 5000})`);
    deepStrictEqual(meta.displays?.[0].metadata, {});
    deepStrictEqual(meta.displays?.[0].omitted, { metadata: 5010 });
    equal(result.repr, "Big()");
    equal(result.data?.["text/plain"], "Big()");
    equal(result.data?.["image/png"], undefined);
    deepStrictEqual(result.dataOmitted, { "image/png": 5000 });
    // Events are not capped: a caller iterating sees every byte.
    let biggest = 0;
    for await (const event of session.execute(`display({"image/png": b"e" * 5000}, raw=True)`)) {
      if (event.type === "display") biggest = (event.data["image/png"] as Uint8Array).length;
    }
    equal(biggest, 5000);
  }, { maxOutputChars: 1000 });
});

Deno.test("a snapshot path outside the scenario's directory is a validation error at its line", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyrepl3_rich_attack_" });
  try {
    await Deno.mkdir(`${root}/a/b`, { recursive: true });
    for (
      const [snapshot, says] of [
        ["../../outside.png", "is outside the scenario file's directory"],
        [`${root}/abs.png`, "not an absolute path"],
        ["plots/../../up.png", "is outside"],
        [".", "names a directory"],
      ]
    ) {
      await Deno.writeTextFile(
        `${root}/a/b/s.yaml`,
        `steps:\n  - exec: "1"\n    expect:\n      data:\n        image/png: { snapshot: "${snapshot}" }\n`,
      );
      let error: unknown;
      try {
        await loadScenario(`${root}/a/b/s.yaml`);
      } catch (e) {
        error = e;
      }
      ok(error instanceof ScenarioValidationError, `${snapshot}: ${error}`);
      ok(error.message.includes("s.yaml:5:") && error.message.includes(says), error.message);
    }
    // A JSON value with a `snapshot` key is a value, not a path; a path inside is fine.
    await Deno.writeTextFile(
      `${root}/a/b/s.yaml`,
      `steps:\n  - exec: "1"\n    expect:\n      data:\n        application/json: { snapshot: ../x }\n` +
        `        image/png: { snapshot: plots/../in.png }\n`,
    );
    await loadScenario(`${root}/a/b/s.yaml`);
    // --update of the scenario does not write outside (it never runs: nothing is written anywhere).
    await runScenarios([`${root}/a/b/s.yaml`], { python: TEST_PYTHON, update: true });
    equal(await Deno.stat(`${root}/outside.png`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--update of a read-only or symlinked snapshot keeps its mode and its link", () => {
  const dir = Deno.makeTempDirSync({ prefix: "pyrepl3_rich_attack_" });
  try {
    Deno.writeFileSync(`${dir}/ro.png`, new Uint8Array([1]));
    Deno.chmodSync(`${dir}/ro.png`, 0o444);
    writeSnapshot(`${dir}/ro.png`, new Uint8Array([2]));
    deepStrictEqual(Deno.readFileSync(`${dir}/ro.png`), new Uint8Array([2]));
    equal(Deno.statSync(`${dir}/ro.png`).mode! & 0o777, 0o444);
    Deno.mkdirSync(`${dir}/shared`);
    Deno.writeFileSync(`${dir}/shared/real.png`, new Uint8Array([1]));
    Deno.symlinkSync(`${dir}/shared/real.png`, `${dir}/link.png`);
    writeSnapshot(`${dir}/link.png`, new Uint8Array([3]));
    ok(Deno.lstatSync(`${dir}/link.png`).isSymlink);
    deepStrictEqual(Deno.readFileSync(`${dir}/shared/real.png`), new Uint8Array([3]));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** A PNG of `rows` (already packed) with the given depth and colour type, written by hand. */
function rawPng(
  width: number,
  depth: number,
  colorType: number,
  rows: number[][],
  palette?: number[],
): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Uint8Array([...new TextEncoder().encode(type), ...data]);
    const out = new DataView(new ArrayBuffer(12 + data.length));
    out.setUint32(0, data.length);
    new Uint8Array(out.buffer).set(body, 4);
    out.setUint32(8 + data.length, crc(body));
    return new Uint8Array(out.buffer);
  };
  const header = new DataView(new ArrayBuffer(13));
  header.setUint32(0, width);
  header.setUint32(4, rows.length);
  header.setUint8(8, depth);
  header.setUint8(9, colorType);
  const raw = new Uint8Array(rows.flatMap((row) => [0, ...row]));
  return new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk("IHDR", new Uint8Array(header.buffer)),
    ...(palette ? chunk("PLTE", new Uint8Array(palette)) : []),
    ...chunk("IDAT", new Uint8Array(deflateSync(raw))),
    ...chunk("IEND", new Uint8Array()),
  ]);
}

function solidPng(width: number, height: number, rgba: number[]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set(rgba, p * 4);
  return encode({ width, height, data, channels: 4, depth: 8 });
}

Deno.test("snapshots of 1/2/4-bit palette and grey PNGs compare by their pixels", () => {
  const dir = Deno.makeTempDirSync({ prefix: "pyrepl3_rich_attack_" });
  try {
    const blue = solidPng(10, 2, [0, 0, 255, 255]);
    const white = solidPng(10, 2, [255, 255, 255, 255]);
    // 10 pixels of 1 bit: index/level 1 everywhere is 0xff 0xc0 per row.
    Deno.writeFileSync(
      `${dir}/pal1.png`,
      rawPng(10, 1, 3, [[0xff, 0xc0], [0xff, 0xc0]], [255, 0, 0, 0, 0, 255]),
    );
    Deno.writeFileSync(`${dir}/grey1.png`, rawPng(10, 1, 0, [[0xff, 0xc0], [0xff, 0xc0]]));
    Deno.writeFileSync(
      `${dir}/grey4.png`,
      rawPng(10, 4, 0, [[0xff, 0xff, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff, 0xff]]),
    );
    equal(
      compareSnapshot(blue, `${dir}/pal1.png`).ok,
      true,
      compareSnapshot(blue, `${dir}/pal1.png`).reason,
    );
    equal(compareSnapshot(white, `${dir}/pal1.png`).ok, false);
    equal(compareSnapshot(white, `${dir}/grey1.png`).ok, true);
    equal(compareSnapshot(white, `${dir}/grey4.png`).ok, true);
    // One pixel of level 0 in a 2-bit grey image: exactly 1 of 20 pixels differs.
    Deno.writeFileSync(
      `${dir}/grey2.png`,
      rawPng(10, 2, 0, [[0x3f, 0xff, 0xf0], [0xff, 0xff, 0xf0]]),
    );
    const verdict = compareSnapshot(white, `${dir}/grey2.png`);
    ok(verdict.reason?.startsWith("1 of 20 pixels"), verdict.reason);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("figureDpi past what Agg can draw, or a string, is an InvalidOptionError naming it", () => {
  for (
    const [dpi, says] of [
      [1e9, "got 1000000000"],
      [10001, "got 10001"],
      ["100", 'got "100"'],
    ] as const
  ) {
    let error: unknown;
    try {
      new Session({ figureDpi: dpi as number });
    } catch (e) {
      error = e;
    }
    ok(error instanceof InvalidOptionError, String(dpi));
    ok(error.message.includes("up to 10000") && error.message.includes(says), error.message);
  }
  new Session({ figureDpi: 10000 }); // the largest accepted: Agg draws it
});

Deno.test("reports: 50 images inline in one HTML file; image data from a merged report cannot break out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_rich_attack_" });
  try {
    const png = solidPng(8, 8, [0, 128, 0, 255]);
    const b64 = btoa(String.fromCharCode(...png));
    await Deno.writeTextFile(
      `${dir}/many.yaml`,
      `steps:\n  - exec: |\n      import base64\n      img = base64.b64decode("${b64}")\n` +
        `      for i in range(50): display({"image/png": img, "image/svg+xml": "<svg/>"}, raw=True)\n` +
        `      display({"image/jpeg": b"jpg", "application/pdf": b"%PDF-1.4"}, raw=True)\n` +
        `    expect:\n      stdout: "not printed"\n`,
    );
    const report = await runScenarios([`${dir}/many.yaml`], { python: TEST_PYTHON });
    equal(report.failed, 1, formatPretty(report));
    let html = formatHtml(report);
    equal(html.match(/<img alt="\[image\/png 8x8\]" src="data:image\/png;base64,/g)?.length, 50);
    equal(html.match(/<img alt="\[image\/svg\+xml 6 chars\]"/g)?.length, 50);
    const json = JSON.parse(formatJson(report));
    equal(json.scenarios[0].steps[0].actual.displays[0].data["image/png"], b64);
    const step = report.scenarios[0].steps[0];
    const pretty = formatPretty(report);
    ok(pretty.includes("[image/png 8x8] [image/svg+xml 6 chars]"), pretty);
    // 51 displays: the first 10 in the failure's line, then how many more (it was 51 in one line).
    const line = pretty.split("\n").find((l) => l.includes("displays:"))!;
    equal(line.split("[image/png 8x8]").length - 1, 10);
    ok(line.endsWith(" | … 41 more"), line);
    step.actual!.displays = step.actual!.displays!.slice(50);
    ok(
      formatPretty(report).includes("displays: [image/jpeg 3 bytes] [application/pdf 8 bytes]"),
      formatPretty(report),
    );
    // A JSON report (merge-reports' input) holds images as base64 text: anything else is not inlined.
    step.actual!.data = { "image/png": `x" onerror="alert(1)`, "image/jpeg": "<script>" };
    html = formatHtml(report);
    ok(!html.includes(`onerror="alert(1)`), "an attribute cannot be closed by image data");
    ok(!html.includes("data:image/jpeg;base64,<script>"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a snapshot of an image left out for the display budget says so (and --update has nothing to write)", () => {
  const failures = checkDisplays(
    [{ "image/png": { snapshot: "big.png" } }],
    [{ data: { "text/plain": "<Figure>" }, metadata: {}, omitted: { "image/png": 20000000 } }],
    { dir: "/nonexistent", normalize: [] },
  );
  equal(failures.length, 1);
  equal(
    failures[0].message,
    "display 1: image/png was left out: its 20000000 bytes are over the display budget (maxOutputChars)",
  );
  equal(failures[0].snapshot, undefined);
});

Deno.test("display(raw=True) leaves out what has no wire form, with a warning, as other bundles do", async () => {
  await withSession(async (session) => {
    const result = await session.execute(`display({
    b"text/html": "bytes key",
    "application/json": "{not json",
    "image/png": "not base64!",
    "text/markdown": "# kept",
}, raw=True)
print("after")`);
    equal(result.status, "ok", result.error?.message);
    equal(result.stdout, "after\n");
    deepStrictEqual(result.displays?.[0].data, { "text/markdown": "# kept" });
    ok(result.stderr.includes("MIME type b'text/html' failed: TypeError"), result.stderr);
    ok(result.stderr.includes("application/json data failed: JSONDecodeError"), result.stderr);
    ok(result.stderr.includes("image/png data failed"), result.stderr);
  });
});

Deno.test("a bundle over the worker's frame budget leaves out its largest types, with a warning", async () => {
  await withSession(async (session) => {
    // The real cap is 1 GiB (a frame must stay under 2 GiB); lowered here to keep the test small.
    await session.execute("import _pyrepl3_runner.display as d; d.MAX_BUNDLE_BYTES = 1000");
    const result = await session.execute(`
display({"image/png": b"p" * 900, "text/html": "h" * 600, "text/plain": "kept"}, raw=True)
class V:
    def _repr_png_(self): return b"v" * 5000
    def __repr__(self): return "V()"
V()`);
    equal(result.status, "ok");
    deepStrictEqual(Object.keys(result.displays?.[0].data ?? {}).sort(), [
      "text/html",
      "text/plain",
    ]);
    equal(result.data?.["image/png"], undefined);
    equal(result.repr, "V()");
    ok(
      result.stderr.includes("image/png data failed: ValueError: 900 bytes are more than"),
      result.stderr,
    );
    ok(result.stderr.includes("5000 bytes are more than a bundle may send (1000)"), result.stderr);
  });
});

Deno.test("an image/png that is no PNG, written by --update, matches its snapshot afterwards", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_rich_attack_" });
  try {
    await Deno.writeTextFile(
      `${dir}/raw.yaml`,
      `steps:\n  - exec: 'display({"image/png": b"not a png"}, raw=True)'\n    expect:\n` +
        `      display:\n        - image/png: { snapshot: raw.png }\n`,
    );
    let report = await runScenarios([`${dir}/raw.yaml`], { python: TEST_PYTHON, update: true });
    equal(report.failed, 0, formatPretty(report));
    equal(await Deno.readTextFile(`${dir}/raw.png`), "not a png");
    report = await runScenarios([`${dir}/raw.yaml`], { python: TEST_PYTHON });
    equal(report.failed, 0, formatPretty(report)); // it failed here: "snapshot raw.png is not a PNG"
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an image over MAX_COMPARED_PIXELS is compared by its bytes, never decoded", () => {
  const dir = Deno.makeTempDirSync({ prefix: "pyrepl3_rich_attack_" });
  try {
    // Headers saying 10000x6000 (60M pixels, ~1.2 GB to compare by pixels) over a few bytes of data.
    const big = (fill: number) => {
      const png = rawPng(10000, 8, 0, [[fill]]);
      new DataView(png.buffer).setUint32(20, 6000); // IHDR height (its CRC is not checked first)
      return png;
    };
    Deno.writeFileSync(`${dir}/big.png`, big(1));
    equal(compareSnapshot(big(1), `${dir}/big.png`).ok, true);
    const verdict = compareSnapshot(big(2), `${dir}/big.png`);
    equal(verdict.ok, false);
    equal(
      verdict.reason,
      `the image is 10000x6000, more than the ${MAX_COMPARED_PIXELS} pixels compared one by one, ` +
        `and its bytes differ from snapshot ${dir}/big.png`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
