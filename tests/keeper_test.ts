/**
 * The keeper's trust boundary, attacked from inside a session: a process that connects to the protocol
 * socket with a forged hello gets nothing, reaches no later tenant, and gets no unrelated process killed;
 * the socket path and tokens stay out of argv and the environment; socket folders never outlive their
 * owner; the environment can start clean.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { SessionPool } from "../mod.ts";
import { sweepStaleSocketDirs } from "../lib/_socket_dir.ts";
import {
  pathExists,
  processExists,
  TEST_PYTHON,
  waitFor,
  withSession,
} from "./_helpers/session.ts";

/**
 * Tenant code that starts an impostor outside its own process group: it connects to every PyREPL3
 * socket it can find, says hello as a spare of a later generation claiming `victim`'s pid, and records
 * in `report` how many connections it made and how many bytes Deno ever sent it.
 */
function impostorCell(victim: number, report: string): string {
  return `
import os, subprocess, sys, tempfile, time
msgpack = sys.modules["_pyrepl3_runner.msgpack"]
hello = msgpack.packb({"t": "hello", "protocol": 2, "pid": ${victim}, "token": "forged",
                       "python": "3.11.7", "executable": sys.executable, "generation": 99})
frame = len(hello).to_bytes(4, "big") + hello
script = """
import glob, os, socket, sys, time
frame = bytes.fromhex(sys.argv[1])
conns = []
for path in set(glob.glob('/tmp/pyrepl3-*/s') + glob.glob(sys.argv[3] + '/pyrepl3-*/s')):
    try:
        c = socket.socket(socket.AF_UNIX)
        c.connect(path)
        c.sendall(frame)
        c.settimeout(0.2)
        conns.append(c)
    except OSError:
        pass
received = 0
def report(done):
    open(sys.argv[2] + '.tmp', 'w').write('%d %d %d' % (len(conns), received, done))
    os.replace(sys.argv[2] + '.tmp', sys.argv[2])
report(0)
deadline = time.time() + 6
while conns and time.time() < deadline:
    for c in list(conns):
        try:
            data = c.recv(65536)
            if not data:
                conns.remove(c)
            received += len(data)
            report(0)
        except socket.timeout:
            pass
        except OSError:
            conns.remove(c)
report(1)
"""
subprocess.Popen([sys.executable, "-c", script, frame.hex(), ${JSON.stringify(report)},
                  tempfile.gettempdir()], start_new_session=True)
for _ in range(500):  # until the impostor has connected
    if os.path.exists(${JSON.stringify(report)}):
        break
    time.sleep(0.01)
open(${JSON.stringify(report)}).read()
`;
}

Deno.test("a pooled tenant posing as a spare gets no bytes, reaches no later tenant, and gets no process killed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "impostor-" });
  const report = `${dir}/received`;
  const victim = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    const pool = new SessionPool({ python: TEST_PYTHON, minIdle: 1, maxSize: 1 });
    try {
      await pool.withSession(async (first) => {
        const started = await first.execute(impostorCell(victim.pid, report));
        equal(started.status, "ok", started.error?.traceback);
        const [connections] = String(started.value).split(" ").map(Number);
        ok(connections >= 1, `the impostor connected to the pool's socket (${started.value})`);
      });
      for (let i = 0; i < 3; i++) {
        await pool.withSession(async (next) => {
          const result = await next.execute(`secret = ${i}\nsecret * 2`);
          equal(result.value, i * 2);
        });
      }
    } finally {
      await pool.shutdown();
    }
    const [, received] = (await Deno.readTextFile(report)).split(" ").map(Number);
    equal(received, 0, "Deno sent the impostor nothing");
    ok(processExists(victim.pid), "the process whose pid the impostor claimed is alive");
  } finally {
    victim.kill("SIGKILL");
    await victim.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the socket path and tokens appear in no argv and no environment of the worker", async () => {
  await withSession(async (session) => {
    const result = await session.execute(`
import os
keeper = os.getppid()
cmdlines = [open(f"/proc/{pid}/cmdline", "rb").read() for pid in (keeper, os.getpid())]
environs = [open(f"/proc/{pid}/environ", "rb").read() for pid in (keeper, os.getpid())]
[b"pyrepl3-" in text for text in cmdlines + environs] + [any("pyrepl3-" in v for v in os.environ.values())]
`);
    equal(result.status, "ok", result.error?.traceback);
    deepStrictEqual(result.value, [false, false, false, false, false]);
  });
});

/** A cell whose value is the session's socket folder, read from its own connection's peer name. */
const SOCKET_DIR_CELL = `
import gc, os, socket
[os.path.dirname(o.getpeername()) for o in gc.get_objects()
 if isinstance(o, socket.socket) and o.family == socket.AF_UNIX and o.fileno() >= 0 and o.getpeername()][0]
`;

Deno.test("a session's socket folder is gone after shutdown", async () => {
  let dir = "";
  await withSession(async (session) => {
    const result = await session.execute(SOCKET_DIR_CELL);
    equal(result.status, "ok", result.error?.traceback);
    dir = result.value as string;
    ok(pathExists(dir), "the session has a socket folder");
    equal(Deno.statSync(dir).mode! & 0o777, 0o700);
  });
  ok(!pathExists(dir));
});

Deno.test("socket folders of a dead owner are swept, live owners' are kept", async () => {
  const root = await Deno.makeTempDir({ prefix: "sweep-" });
  try {
    await Deno.mkdir(`${root}/pyrepl3-dead`);
    await Deno.writeTextFile(`${root}/pyrepl3-dead/owner`, "999999999");
    await Deno.mkdir(`${root}/pyrepl3-live`);
    await Deno.writeTextFile(`${root}/pyrepl3-live/owner`, String(Deno.pid));
    await Deno.mkdir(`${root}/pyrepl3-not-ours`);
    equal(await sweepStaleSocketDirs(root), 1);
    ok(!pathExists(`${root}/pyrepl3-dead`));
    ok(pathExists(`${root}/pyrepl3-live`));
    ok(pathExists(`${root}/pyrepl3-not-ours`));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the socket folder is removed even when Deno is killed", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { Session } from "${new URL("../mod.ts", import.meta.url)}";
       const s = new Session({ python: ${JSON.stringify(TEST_PYTHON)} });
       await s.start();
       console.log((await s.execute(${JSON.stringify(SOCKET_DIR_CELL)})).value);
       setInterval(() => {}, 60000);`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const dir = new TextDecoder().decode((await reader.read()).value).trim();
  ok(dir.includes("pyrepl3-") && pathExists(dir), dir);
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  ok(await waitFor(() => !pathExists(dir)), "the keeper removed it");
});

Deno.test("inheritEnv: false starts from env alone; a list keeps just those names", async () => {
  await withSession(async (session) => {
    const result = await session.execute(
      "import os\nsorted(k for k in os.environ if k in ('HOME', 'PATH', 'ONLY'))",
    );
    deepStrictEqual(result.value, ["ONLY"]);
  }, { inheritEnv: false, env: { ONLY: "1" } });
  await withSession(async (session) => {
    const result = await session.execute(
      "import os\nsorted(k for k in os.environ if k in ('HOME', 'PATH', 'ONLY'))",
    );
    deepStrictEqual(result.value, ["HOME", "ONLY"]);
  }, { inheritEnv: ["HOME"], env: { ONLY: "1" } });
});
