/**
 * Hostile inputs to rich output: formatters that raise anything, odd data, huge bundles, bad
 * snapshot files and options. Each test here failed before its fix.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { loadScenario } from "../lib/scenario/load.ts";
import { runScenarios } from "../lib/scenario/run.ts";
import { writeSnapshot } from "../lib/scenario/snapshot.ts";
import { ScenarioValidationError } from "../lib/scenario/errors.ts";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";

Deno.test("a formatter raising SystemExit/KeyboardInterrupt/BaseException never ends the worker", async () => {
  await withSession(async (session) => {
    for (const raised of ["SystemExit(3)", "KeyboardInterrupt", "GeneratorExit", "Odd('x')"]) {
      const result = await session.execute(`
class Odd(BaseException): pass
class A:
    def _repr_html_(self): raise ${raised}
    def _repr_json_(self): return {"kept": 1}
    def __repr__(self): return "A()"
A()`);
      equal(result.status, "ok", `${raised}: ${result.status} ${result.error?.type}`);
      equal(result.repr, "A()");
      ok(result.stderr.includes("failed: "), result.stderr);
      // An interrupt abandons the value's bundle (it may be a timeout); anything else costs one type.
      if (raised !== "KeyboardInterrupt") {
        deepStrictEqual(result.data?.["application/json"], { kept: 1 }, raised);
      }
    }
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
