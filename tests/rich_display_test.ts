import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ExecutionEvent } from "../mod.ts";
import { InvalidOptionError, Session } from "../mod.ts";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";
import { requirePython } from "./_helpers/python_has.ts";

const hasIPython = requirePython(TEST_PYTHON, "IPython", "the IPython display tests");

const RICH_CLASS = `
class Rich:
    def _repr_html_(self):
        return "<table><tr><td>1</td></tr></table>"
    def _repr_png_(self):
        return b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00" * 8
    def _repr_json_(self):
        return {"rows": [1, 2]}
    def __repr__(self):
        return "Rich()"
`;

async function events(session: Session, code: string): Promise<ExecutionEvent[]> {
  const seen: ExecutionEvent[] = [];
  for await (const event of session.execute(code)) seen.push(event);
  return seen;
}

Deno.test("a trailing value with _repr_html_/_repr_png_ gives its bundle in result.data", async () => {
  await withSession(async (session) => {
    const result = await session.execute(RICH_CLASS + "Rich()");
    equal(result.repr, "Rich()");
    equal(result.data?.["text/plain"], "Rich()");
    equal(result.data?.["text/html"], "<table><tr><td>1</td></tr></table>");
    const png = result.data?.["image/png"];
    ok(png instanceof Uint8Array, "binary MIME types arrive as Uint8Array");
    equal(png.length, 16);
    deepStrictEqual(result.data?.["application/json"], { rows: [1, 2] });
    deepStrictEqual(result.displays, []);
    const plain = await session.execute("41 + 1");
    deepStrictEqual(plain.data, { "text/plain": "42" });
    equal((await session.execute("x = 1")).data, undefined);
  });
});

Deno.test("display() without IPython sends display events in order with the output", async () => {
  await withSession(async (session) => {
    // Make IPython unimportable, as in an interpreter without it: display() is the runner's own.
    await session.execute("import sys; sys.modules['IPython'] = None");
    const seen = await events(
      session,
      RICH_CLASS + "print('before')\ndisplay(Rich(), 'text')\nprint('after')",
    );
    deepStrictEqual(seen.map((e) => e.type), ["output", "display", "display", "output", "result"]);
    const [first, second] = seen.filter((e) => e.type === "display");
    ok(first.type === "display" && second.type === "display");
    equal(first.data["text/html"], "<table><tr><td>1</td></tr></table>");
    deepStrictEqual(first.metadata, {});
    deepStrictEqual(second.data, { "text/plain": "'text'" });
    const result = seen.at(-1);
    ok(result?.type === "result");
    equal(result.result.displays?.length, 2);
    equal(result.result.displays?.[1].data["text/plain"], "'text'");
    equal(result.result.stdout, "before\nafter\n");
  });
});

Deno.test("update_display replaces the output with its id; clear_output drops the earlier ones", async () => {
  await withSession(async (session) => {
    const seen = await events(
      session,
      `h = display("v1", display_id="progress")
display("other")
update_display("v2", display_id="progress")
h.update("v3")`,
    );
    const displays = seen.filter((e) => e.type === "display");
    deepStrictEqual(displays.map((e) => e.type === "display" && [e.id, e.update]), [
      ["progress", undefined],
      [undefined, undefined],
      ["progress", true],
      ["progress", true],
    ]);
    const result = seen.at(-1);
    ok(result?.type === "result");
    deepStrictEqual(result.result.displays, [
      { data: { "text/plain": "'v3'" }, metadata: {}, id: "progress" },
      { data: { "text/plain": "'other'" }, metadata: {} },
    ]);
    const cleared = await session.execute("display(1); clear_output(); display(2)");
    deepStrictEqual(cleared.displays, [{ data: { "text/plain": "2" }, metadata: {} }]);
    const waited = await session.execute("display(1); clear_output(wait=True)");
    equal(waited.displays?.length, 1, "clear_output(wait=True) clears only when output follows");
  });
});

Deno.test("display(raw=True), metadata, and a failing _repr_html_ reported on stderr", async () => {
  await withSession(async (session) => {
    const result = await session.execute(`
import base64
display({"text/markdown": "# hi", "image/png": base64.b64encode(b"abc").decode()}, raw=True,
        metadata={"image/png": {"width": 10}})
class Broken:
    def _repr_html_(self):
        raise ValueError("no html")
display(Broken())`);
    equal(result.status, "ok");
    const [raw, broken] = result.displays ?? [];
    equal(raw.data["text/markdown"], "# hi");
    deepStrictEqual(raw.data["image/png"], new TextEncoder().encode("abc"));
    deepStrictEqual(raw.metadata, { "image/png": { width: 10 } });
    ok(String(broken.data["text/plain"]).includes("Broken object"));
    ok(result.stderr.includes("Broken._repr_html_ failed: ValueError: no html"), result.stderr);
  });
});

Deno.test({
  name: "with IPython, IPython.display.display/update_display/clear_output use the same channel",
  ignore: !hasIPython,
  async fn() {
    await withSession(async (session) => {
      const result = await session.execute(`
from IPython.display import HTML, Markdown, display, update_display, clear_output
import IPython.display
display(HTML("<b>bold</b>"))
handle = display(Markdown("one"), display_id=True)
handle.update(Markdown("two"))
IPython.display.display({"application/json": {"a": 1}}, raw=True)
HTML("<i>trailing</i>")`);
      equal(result.status, "ok", result.error?.traceback);
      const [html, markdown, json] = result.displays ?? [];
      equal(html.data["text/html"], "<b>bold</b>");
      equal(markdown.data["text/markdown"], "two");
      ok(typeof markdown.id === "string" && markdown.id.length > 0);
      deepStrictEqual(json.data, { "application/json": { a: 1 } });
      equal(result.data?.["text/html"], "<i>trailing</i>");
    });
  },
});

Deno.test("figure options are validated", () => {
  for (
    const options of [
      { figureSize: [640] },
      { figureSize: [0, 480] },
      { figureDpi: -1 },
      { figureFormats: ["gif"] },
      { figureFormats: [] },
    ]
  ) {
    let error: unknown;
    try {
      new Session(options as never);
    } catch (e) {
      error = e;
    }
    ok(error instanceof InvalidOptionError, JSON.stringify(options));
  }
});
