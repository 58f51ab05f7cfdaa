/**
 * `pyrepl3 record` at a real pseudo-terminal (tests/_helpers/pty_drive.py): keys typed as a person
 * types them, each after the screen shows what it waits for.
 *
 * @module
 */
import { ok } from "node:assert/strict";
import { TEST_PYTHON } from "./session.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const DRIVER = new URL("./pty_drive.py", import.meta.url).pathname;

/**
 * Wait for `expect` on the screen or for the file `wait_file` (at most `timeout` seconds, default
 * 60), type `send`, or send the signal `kill`.
 */
export type Key =
  | { expect: string; timeout?: number }
  | { wait_file: string; timeout?: number }
  | { send: string }
  | { kill: "SIGTERM" | "SIGHUP" | "SIGINT" };
/** The Up arrow. */
export const UP = "\x1b[A";
/** Ctrl-C. */
export const CTRL_C = "\x03";
/** Ctrl-D. */
export const CTRL_D = "\x04";

/** What the terminal showed, and the exit code (null with `error` when a wait gave up). */
export interface PtyRun {
  screen: string;
  code: number | null;
  error?: string;
  /** The terminal as the command left it: echoing and line-buffered, as a shell needs it. */
  echo?: boolean;
  canonical?: boolean;
}

/** Runs `deno run -A cli.ts ...args` at a pseudo-terminal, typing `keys`. */
export async function driveCli(
  keys: Key[],
  args: string[],
  env: Record<string, string>,
): Promise<PtyRun> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_tty_" });
  const script = `${dir}/keys.json`;
  await Deno.writeTextFile(script, JSON.stringify(keys));
  const { stdout, stderr } = await new Deno.Command(TEST_PYTHON, {
    args: [DRIVER, script, "--", Deno.execPath(), "run", "-A", CLI, ...args],
    env: { CI: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  const text = new TextDecoder().decode(stdout);
  ok(text !== "", new TextDecoder().decode(stderr));
  return JSON.parse(text) as PtyRun;
}
