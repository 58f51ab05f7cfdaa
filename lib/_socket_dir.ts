/**
 * The private folder of a keeper's unix socket: made with mode 0700, named for its owner, removed on
 * every exit path (by Deno, and by the keeper itself when Deno died first), and swept when stale.
 *
 * @module
 */

const PREFIX = "pyrepl3-";
const OWNER_FILE = "owner";
/** Files named `tmp-…` in a socket folder hold the path of a file an interpreter is writing (Keeper). */
export const UNFINISHED_NOTE_PREFIX = "tmp-";
let swept = false;

/** Makes a new socket folder owned by this Deno process; sweeps stale ones once per process. */
export async function claimSocketDir(): Promise<string> {
  if (!swept) {
    swept = true;
    sweepStaleSocketDirs().catch(() => {});
  }
  const dir = await Deno.makeTempDir({ prefix: PREFIX });
  await Deno.chmod(dir, 0o700);
  await Deno.writeTextFile(`${dir}/${OWNER_FILE}`, String(Deno.pid));
  return dir;
}

/** Removes a socket folder; a folder already gone is fine. */
export async function removeSocketDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/** Removes socket folders whose owning Deno process no longer exists (killed before it could clean). */
export async function sweepStaleSocketDirs(root = tempRoot()): Promise<number> {
  let removed = 0;
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isDirectory || !entry.name.startsWith(PREFIX)) continue;
    const dir = `${root}/${entry.name}`;
    let owner: number;
    try {
      owner = Number(await Deno.readTextFile(`${dir}/${OWNER_FILE}`));
    } catch {
      continue; // not one of ours, or being made right now
    }
    if (!Number.isInteger(owner) || owner <= 0 || processExists(owner)) continue;
    await removeUnfinishedFiles(dir);
    await removeSocketDir(dir);
    removed++;
  }
  return removed;
}

/** Removes the files the notes in a dead owner's folder name (writes that never ended). */
async function removeUnfinishedFiles(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith(UNFINISHED_NOTE_PREFIX)) continue;
    try {
      await Deno.remove(await Deno.readTextFile(`${dir}/${entry.name}`));
    } catch {
      // renamed into place, or already removed
    }
  }
}

function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return Deno.build.os !== "linux"; // without /proc, never guess that an owner is gone
  }
}

function tempRoot(): string {
  return Deno.env.get("TMPDIR") || "/tmp";
}
