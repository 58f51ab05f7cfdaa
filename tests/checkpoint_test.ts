/**
 * Checkpoints against real Python workers: fields, restore in the same and in a fresh session, values that
 * cannot be saved, files, and refusal of corrupt, truncated and foreign data.
 */
import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { Checkpoint, CheckpointError, type Session } from "../mod.ts";
import { withSession } from "./_helpers/session.ts";

async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback);
  return result.value;
}

const DEFINITIONS = `
import json as j
from os import path as p
import functools

def square(x):
    return x * x

def make_adder(n):
    def add(x):
        return x + n
    return add

add5 = make_adder(5)
triple = lambda x: x * 3

def greet(name, greeting='hi'):
    return f'{greeting} {name}'

def shout(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args).upper()
    return wrapper

@shout
def hello(name):
    return 'hello ' + name

async def fetch(x):
    import asyncio
    await asyncio.sleep(0)
    return x + 1

class Counter:
    def __init__(self, start):
        self.n = start
    def bump(self):
        self.n += 1
        return self.n

counter = Counter(10)
data = {'k': [1, 2, 3]}
`;

/** What each restored definition should do in the fresh session. */
const USES: [string, unknown][] = [
  ["square(3)", 9],
  ["add5(1)", 6],
  ["triple(2)", 6],
  ["greet('bo')", "hi bo"],
  ["hello('x')", "HELLO X"],
  ["hello.__name__", "hello"],
  ["import asyncio\nasyncio.run(fetch(1))", 2],
  ["counter.bump()", 11],
  ["Counter(0).bump()", 1],
  ["isinstance(counter, Counter)", true],
  ["j.dumps([1])", "[1]"],
  ["p.join('a', 'b')", "a/b"],
  ["data", { k: [1, 2, 3] }],
];

Deno.test("a checkpoint restored into a fresh session brings back functions, classes and aliases", async (t) => {
  await withSession(async (first) => {
    await run(first, DEFINITIONS);
    const checkpoint = await first.checkpoint();
    deepStrictEqual(checkpoint.skipped, []);
    await withSession(async (second) => {
      await second.restore(checkpoint);
      for (const [code, expected] of USES) {
        await t.step(
          code.split("\n").at(-1)!,
          async () => deepStrictEqual(await run(second, code), expected),
        );
      }
    });
  });
});

Deno.test("checkpoint() reports its fields", async () => {
  await withSession(async (session) => {
    await run(session, "alpha = 1\nbeta = [alpha, 'two']");
    const checkpoint = await session.checkpoint();
    ok(checkpoint instanceof Checkpoint);
    equal(typeof checkpoint.id, "string");
    ok(checkpoint.id.length > 0);
    ok(checkpoint.data instanceof Uint8Array);
    equal(checkpoint.sizeBytes, checkpoint.data.byteLength);
    ok(checkpoint.sizeBytes > 0);
    ok(checkpoint.createdAt instanceof Date && !Number.isNaN(checkpoint.createdAt.getTime()));
    ok(
      Math.abs(checkpoint.createdAt.getTime() - Date.now()) < 24 * 3600 * 1000,
      "createdAt is today",
    );
    equal(checkpoint.pythonVersion, session.pythonVersion.split(".").slice(0, 2).join("."));
    deepStrictEqual([...checkpoint.names].sort(), ["alpha", "beta"]);
    deepStrictEqual(checkpoint.skipped, []);
    equal(checkpoint.executionCount, 1);
  });
});

Deno.test("restore in the same session removes names created after the checkpoint", async () => {
  await withSession(async (session) => {
    await run(session, "early = 'e'\nshared = [1]");
    const checkpoint = await session.checkpoint();
    await run(session, "late = 'l'\nshared.append(2)\nearly = 'changed'");
    await session.restore(checkpoint);
    deepStrictEqual(await run(session, "['late' in globals(), early, shared]"), [false, "e", [1]]);
  });
});

Deno.test("restore brings back the execution count", async () => {
  await withSession(async (first) => {
    for (let i = 0; i < 4; i++) await first.execute("pass");
    const checkpoint = await first.checkpoint();
    equal(checkpoint.executionCount, 4);
    await withSession(async (second) => {
      await second.restore(checkpoint);
      equal((await second.execute("pass")).executionCount, 5);
    });
  });
});

Deno.test("values that cannot be saved are listed with reasons and the rest is saved", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_ckpt_" });
  try {
    await withSession(async (first) => {
      await run(
        first,
        `import threading\nhandle = open(${JSON.stringify(`${dir}/f.txt`)}, 'w')\n` +
          "gen = (i for i in range(3))\nlock = threading.Lock()\n" +
          "thread = threading.Thread(target=lambda: None)\nkept_value = 5",
      );
      const checkpoint = await first.checkpoint();
      const skipped = new Map(checkpoint.skipped.map((s) => [s.name, s]));
      deepStrictEqual([...skipped.keys()].sort(), ["gen", "handle", "lock", "thread"]);
      for (const value of skipped.values()) {
        ok(value.reason.length > 0, `no reason for ${value.name}`);
        ok(value.type.length > 0, `no type for ${value.name}`);
      }
      equal(skipped.get("gen")?.type, "generator");
      ok(checkpoint.names.includes("kept_value"));
      ok(!checkpoint.names.includes("gen"));
      await run(first, "handle.close()");
      await withSession(async (second) => {
        await second.restore(checkpoint);
        deepStrictEqual(await run(second, "[kept_value, 'gen' in globals()]"), [5, false]);
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Checkpoint.fromBytes reads a checkpoint written to a file", async () => {
  const file = await Deno.makeTempFile({ prefix: "pyrepl3_ckpt_", suffix: ".bin" });
  try {
    await withSession(async (first) => {
      await run(first, "saved = {'n': 3}");
      const checkpoint = await first.checkpoint();
      await Deno.writeFile(file, checkpoint.data);
      const loaded = Checkpoint.fromBytes(await Deno.readFile(file));
      equal(loaded.id, checkpoint.id);
      deepStrictEqual(loaded.names, checkpoint.names);
      equal(loaded.sizeBytes, checkpoint.sizeBytes);
      await withSession(async (second) => {
        await second.restore(loaded);
        deepStrictEqual(await run(second, "saved"), { n: 3 });
      });
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("Checkpoint.fromBytes refuses bytes that are not a checkpoint", () => {
  throws(
    () => Checkpoint.fromBytes(new TextEncoder().encode("definitely not a checkpoint")),
    CheckpointError,
  );
  throws(() => Checkpoint.fromBytes(new Uint8Array()), CheckpointError);
});

/** Asserts that `restore` fails with CheckpointError, whether it throws or rejects. */
async function refused(restore: () => Promise<void>): Promise<void> {
  let error: unknown = null;
  try {
    await restore();
  } catch (caught) {
    error = caught;
  }
  ok(error instanceof CheckpointError, `expected a CheckpointError, got ${error}`);
}

/** The checkpoint's bytes with the JSON header's Python version replaced by `2.7`, same length. */
function withForeignPython(data: Uint8Array, version: string): Uint8Array {
  const text = new TextDecoder("latin1").decode(data);
  const field = `"python": "${version}"`;
  const at = text.indexOf(field);
  ok(at > 0, "the header names its python version");
  const replacement = `"python": "2.7"`.padEnd(field.length, " ");
  const patched = data.slice();
  patched.set(new TextEncoder().encode(replacement), at);
  return patched;
}

Deno.test("bad checkpoint data is refused with CheckpointError and the namespace is unchanged", async (t) => {
  await withSession(async (session) => {
    await run(session, "payload = list(range(1000))\nfrom_checkpoint = 'x' * 500");
    const checkpoint = await session.checkpoint();
    const { data } = checkpoint;
    await run(session, "del from_checkpoint\nmarker = 'before'");
    const unchanged = async () =>
      deepStrictEqual(
        await run(session, "[marker, 'from_checkpoint' in globals(), len(payload)]"),
        [
          "before",
          false,
          1000,
        ],
      );

    await t.step("corrupt bytes in the middle", async () => {
      const corrupt = data.slice();
      const middle = Math.floor(corrupt.length * 0.75); // inside the pickle stream, past the header
      for (let i = middle; i < middle + 8; i++) corrupt[i] ^= 0xff;
      await rejects(session.restore(corrupt), CheckpointError);
      await unchanged();
    });

    await t.step("truncated data", async () => {
      await refused(() => session.restore(data.slice(0, data.length - 10)));
      await refused(() => session.restore(data.slice(0, 30)));
      await unchanged();
    });

    await t.step("a checkpoint of another Python version", async () => {
      const foreign = withForeignPython(data, checkpoint.pythonVersion);
      equal(Checkpoint.fromBytes(foreign).pythonVersion, "2.7");
      await rejects(session.restore(foreign), CheckpointError);
      await unchanged();
    });

    await t.step("the good checkpoint still restores", async () => {
      await session.restore(checkpoint);
      deepStrictEqual(await run(session, "['marker' in globals(), len(from_checkpoint)]"), [
        false,
        500,
      ]);
    });
  });
});

Deno.test("restore() of data with a truncated header rejects instead of throwing", async () => {
  await withSession(async (session) => {
    const { data } = await session.checkpoint();
    let promise: Promise<void> | undefined;
    try {
      promise = session.restore(data.slice(0, 30));
    } catch (error) {
      ok(false, `restore() threw synchronously instead of returning a rejected promise: ${error}`);
    }
    await rejects(promise!, CheckpointError);
  });
});
