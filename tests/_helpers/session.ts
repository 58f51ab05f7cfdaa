/**
 * Shared fixtures for the Session integration tests: the Python to test with, a started session that is
 * always shut down, and a probe for whether a process still exists.
 *
 * @module
 */
import { Session } from "../../mod.ts";
import type { SessionOptions } from "../../mod.ts";

/** The Python the integration tests run: `$PYREPL3_TEST_PYTHON`, else `python3`. */
export const TEST_PYTHON: string = Deno.env.get("PYREPL3_TEST_PYTHON") ?? "python3";

/** Starts a session with the test Python (and `options`). The caller shuts it down. */
export async function startSession(options: SessionOptions = {}): Promise<Session> {
  const session = new Session({ python: TEST_PYTHON, ...options });
  try {
    await session.start();
  } catch (error) {
    await session.shutdown();
    throw error;
  }
  return session;
}

/** Runs `fn` with a started session and shuts the session down afterwards, whatever happens. */
export async function withSession<T>(
  fn: (session: Session) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  const session = await startSession(options);
  try {
    return await fn(session);
  } finally {
    await session.shutdown();
  }
}

/** True while a process with `pid` exists (a zombie counts as gone: it runs no code). */
export function processExists(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Field 3 (after the parenthesised command name) is the state; Z is a zombie, X is dead.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Waits until `condition()` holds, checking every 20 ms, for at most `limitMs` (a bound on waiting for an
 * event, not a timing assertion). Returns whether it held.
 */
export async function waitFor(condition: () => boolean, limitMs = 5000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Whether the session's Python can import `module` (for tests of optional packages such as numpy). */
export async function canImport(session: Session, module: string): Promise<boolean> {
  const result = await session.execute(
    `import importlib.util as _u\n_u.find_spec(${JSON.stringify(module)}) is not None`,
  );
  return result.value === true;
}

/** True when `path` exists (a file, folder or FIFO). */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
