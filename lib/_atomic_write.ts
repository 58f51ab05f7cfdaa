/**
 * The one way the CLI writes a file (scenario files under `--update`, reports, merged JUnit):
 * the text goes to a temporary file in the target's directory, is flushed to disk, and is renamed
 * over the target. A reader, a crash or a Ctrl-C sees the old text or the new, never a part of it.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** Options of `writeTextFileAtomic()`. */
export interface AtomicWriteOptions {
  /** Create the missing directories above the file first. Default false. */
  mkdirs?: boolean;
}

/** Temporary files being written right now, removed by `removeUnfinishedWrites()`. */
const unfinished = new Set<string>();

const encoder = new TextEncoder();

/**
 * Replaces `path` with `text` atomically. An existing file keeps its permissions, and a symlink
 * keeps pointing where it did (the file it points to is replaced). A device or a pipe
 * (`--reporter json:/dev/stdout`, `/dev/null`, a FIFO) is written through, never replaced.
 *
 * @throws the file system's error (`Deno.errors.NotFound` for a missing directory,
 * `PermissionDenied`...); the target is then untouched and no temporary file is left.
 * @example
 * ```ts
 * import { writeTextFileAtomic } from "./_atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTextFileAtomic(`${dir}/out/report.xml`, "<testsuites/>\n", { mkdirs: true });
 * if (await Deno.readTextFile(`${dir}/out/report.xml`) !== "<testsuites/>\n") throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTextFileAtomic(
  path: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  if (options.mkdirs) await Deno.mkdir(dirname(path), { recursive: true });
  if (await isSpecialFile(path)) return await writeThrough(path, encoder.encode(text));
  const target = await realTarget(path);
  const mode = await existingMode(target);
  const temp = temporaryPathBeside(target);
  unfinished.add(temp);
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: mode ?? 0o666 });
    try {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
      // umask narrows the mode given at creation; an existing file's mode is put back exactly.
      if (mode !== undefined && Deno.build.os !== "windows") await Deno.chmod(temp, mode);
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  } finally {
    unfinished.delete(temp);
  }
  syncDirectory(dirname(target));
}

/**
 * Counts `temp`, a file another process writes (the worker's checkpoint file), among the writes in
 * progress until the handle is disposed, so `removeUnfinishedWrites()` removes it too.
 */
export function unfinishedWrite(temp: string): Disposable {
  unfinished.add(temp);
  return { [Symbol.dispose]: () => unfinished.delete(temp) };
}

/**
 * Removes the temporary files of writes still in progress; for a process about to exit at once
 * (a second Ctrl-C), so that no `.NAME.xxxxxxxx.tmp` is left beside the files.
 */
export function removeUnfinishedWrites(): void {
  for (const temp of unfinished) {
    try {
      Deno.removeSync(temp);
    } catch {
      // already renamed or never created
    }
  }
  unfinished.clear();
}

/**
 * True for a device, a FIFO or a socket (`/dev/stdout`, `/dev/null`, `mkfifo`): renaming a file
 * over one would replace it (as root, `/dev/null` itself), so it is written through instead.
 */
async function isSpecialFile(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return !info.isFile && !info.isDirectory;
  } catch {
    return false; // missing: created by the rename
  }
}

/** Writes `bytes` to the device or pipe `path` as it is: no temporary file, nothing renamed. */
async function writeThrough(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true });
  try {
    while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
  } finally {
    file.close();
  }
}

async function realTarget(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return path;
    throw error;
  }
}

async function existingMode(path: string): Promise<number | undefined> {
  try {
    const mode = (await Deno.stat(path)).mode;
    return mode === null ? undefined : mode & 0o7777;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Makes the rename itself durable; best effort, as not every system can open a directory. */
function syncDirectory(dir: string): void {
  if (Deno.build.os === "windows") return;
  try {
    const handle = Deno.openSync(dir, { read: true });
    try {
      handle.syncSync();
    } finally {
      handle.close();
    }
  } catch {
    // the file is renamed already; only durability across a power loss is at stake
  }
}

/**
 * Replaces `path` with `bytes` atomically, synchronously (a temporary file beside it, flushed,
 * renamed over it), for the image files a check writes (`lib/scenario/snapshot.ts`).
 *
 * @throws the file system's error; the target is then untouched and no temporary file is left.
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const temp = temporaryPathBeside(path);
  unfinished.add(temp);
  try {
    const file = Deno.openSync(temp, { write: true, createNew: true });
    try {
      let rest = bytes;
      while (rest.length > 0) rest = rest.subarray(file.writeSync(rest));
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(temp, path);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch {
      // never created
    }
    throw error;
  } finally {
    unfinished.delete(temp);
  }
}

/** The longest file name most file systems take, in bytes (NAME_MAX). */
const NAME_MAX = 255;
/** What a temporary file's name adds to its target's: a dot, `.xxxxxxxx`, `.tmp`. */
const TEMP_NAME_EXTRA = 14;

/**
 * A fresh temporary file name in `target`'s directory (so a rename over `target` is atomic):
 * `.NAME.xxxxxxxx.tmp`, NAME cut short at a character boundary when the target's name is too long
 * to take 14 more bytes (a valid name of 242-255 bytes would otherwise fail as too long).
 */
export function temporaryPathBeside(target: string): string {
  const name = truncateUtf8(basename(target), NAME_MAX - TEMP_NAME_EXTRA);
  return join(dirname(target), `.${name}.${crypto.randomUUID().slice(0, 8)}.tmp`);
}

/** `text` cut to at most `bytes` bytes of UTF-8, never in the middle of a character. */
function truncateUtf8(text: string, bytes: number): string {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (encoded[end] & 0xc0) === 0x80) end--; // back to the start of a character
  return new TextDecoder().decode(encoded.subarray(0, end));
}
