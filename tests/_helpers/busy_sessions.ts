/**
 * A Deno program for tests/keeper_orphans_test.ts, which runs it as its own process and kills it: three
 * sessions, two of them busy in `while True: pass`, the third having started a `sleep` in a new session and
 * a forked child that called `os.setsid()`. It prints `ready` once all of that runs, then waits to be killed.
 *
 * @module
 */
import { Session } from "../../mod.ts";

const python = Deno.env.get("PYREPL3_TEST_PYTHON") ?? "python3";
const sessions = [0, 1, 2].map(() => new Session({ python }));
await Promise.all(sessions.map((session) => session.start()));

/** Starts an endless cell and resolves once its first output shows that it runs. */
function busy(session: Session): Promise<void> {
  return new Promise((resolve) => {
    session.execute("print('busy', flush=True)\nwhile True: pass", { onOutput: () => resolve() })
      .then(() => {}, () => {});
  });
}

await Promise.all([busy(sessions[0]), busy(sessions[1])]);
const escaped = await sessions[2].execute(
  [
    "import os, subprocess",
    "subprocess.Popen(['sleep', '1000'], start_new_session=True)",
    "done, signal_exec = os.pipe()  # close-on-exec: EOF once the child runs sleep",
    "if os.fork() == 0:",
    "    os.setsid()",
    "    os.execvp('sleep', ['sleep', '1001'])",
    "os.close(signal_exec)",
    "os.read(done, 1)",
  ].join("\n"),
);
if (escaped.status !== "ok") {
  throw new Error(`the escaping cell failed: ${JSON.stringify(escaped)}`);
}
console.log("ready");
setInterval(() => {}, 60_000); // stay alive until killed
