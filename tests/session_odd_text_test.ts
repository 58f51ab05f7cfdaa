/**
 * Text from the caller that is not well-formed Unicode (a JS string holding half of a surrogate pair,
 * as a cut `slice()` makes) reaches the code as that same text and never kills the session; and the
 * binary layer of sys.stdout / sys.stderr works as it does in a real interpreter.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { TEST_PYTHON, withSession } from "./_helpers/session.ts";

Deno.test("a lone surrogate from the caller reaches the code exactly and the session lives on", async () => {
  await withSession(async (session) => {
    const half = "😀".slice(0, 1); // "\ud83d"
    const reply = await session.execute("s = input(); [hex(ord(c)) for c in s]", {
      inputs: [`a${half}b`],
    });
    equal(reply.status, "ok", reply.error?.traceback);
    deepStrictEqual(reply.value, ["0x61", "0xd83d", "0x62"], "the reply's code points, as sent");

    const literal = await session.execute(`'${half}'`);
    equal(literal.status, "error", "Python refuses source text holding a surrogate");
    equal(literal.error?.type, "UnicodeEncodeError");

    const escaped = await session.execute("len('\\ud800')");
    equal(escaped.value, 1);
    equal(session.state, "ready");
    equal((await session.execute("1 + 1")).value, 2);
  });
});

Deno.test("sys.stdout.buffer and sys.stderr.buffer take bytes; reconfigure() to UTF-8 is accepted", async () => {
  await withSession(async (session) => {
    const bytes = await session.execute(
      "import sys\nsys.stdout.buffer.write(b'caf\\xc3')\nsys.stdout.buffer.write(b'\\xa9 \\xff\\n')\n" +
        "sys.stderr.buffer.write(b'err\\n')\nprint('after')",
    );
    equal(bytes.status, "ok", bytes.error?.traceback);
    equal(
      bytes.stdout,
      "café \ufffd\nafter\n",
      "a sequence cut between writes is joined; bad bytes are U+FFFD",
    );
    equal(bytes.stderr, "err\n");

    const wrapped = await session.execute(
      "import io\nw = io.TextIOWrapper(sys.stdout.buffer, encoding='utf-8', write_through=True)\n" +
        "w.write('wrapped\\n')\nsys.stdout.reconfigure(encoding='utf-8', line_buffering=True)\nprint('ok')",
    );
    equal(wrapped.status, "ok", wrapped.error?.traceback);
    equal(wrapped.stdout, "wrapped\nok\n");

    const latin = await session.execute("sys.stdout.reconfigure(encoding='latin-1')");
    equal(latin.error?.type, "ValueError");
    match(latin.error?.message ?? "", /UTF-8/);
    const text = await session.execute("sys.stdout.buffer.write('text')");
    equal(text.error?.type, "TypeError");
  });
});

Deno.test("the worker's pure msgpack decoder reads a lone surrogate as @msgpack/msgpack writes it", async () => {
  const { encode } = await import("@msgpack/msgpack");
  const bytes = encode("\ud800");
  deepStrictEqual([...bytes], [0xa3, 0xed, 0xa0, 0x80]);
  const script =
    "import sys; sys.path.insert(0, sys.argv[1]); from runner.msgpack import pure_unpackb; " +
    "print(ascii(pure_unpackb(bytes.fromhex(sys.argv[2]))))";
  const root = new URL("../", import.meta.url).pathname;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const { stdout, success } = await new Deno.Command(TEST_PYTHON, {
    args: ["-c", script, root, hex],
  })
    .output();
  equal(success, true);
  equal(new TextDecoder().decode(stdout).trim(), "'\\ud800'");
});
