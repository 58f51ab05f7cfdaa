/**
 * Fixtures of the checkpoint file tests: a cell that must succeed, a temporary directory, its listing.
 *
 * @module
 */
import { equal } from "node:assert/strict";
import type { Session } from "../../mod.ts";

/** Runs `code` in `session`, asserts it succeeded, and returns its value. */
export async function run(session: Session, code: string): Promise<unknown> {
  const result = await session.execute(code);
  equal(result.status, "ok", result.error?.traceback);
  return result.value;
}

/** Runs `fn` with a fresh temporary directory, removed afterwards (made writable first). */
export async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_ckpt_file_" });
  try {
    await fn(dir);
  } finally {
    await Deno.chmod(dir, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

/** The names in `dir`, sorted. */
export async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}
