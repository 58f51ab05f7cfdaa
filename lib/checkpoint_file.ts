/**
 * Checkpoint files: the worker writes and reads the bytes (runner/checkpoint_file.py), so gigabytes never
 * pass through Deno; this side names the temporary file, signs it, flushes it to disk and renames it over
 * the target, and verifies a file's signature before the worker reads it.
 *
 * A file holds exactly what `Checkpoint.data` holds (lib/checkpoint.ts), so `Checkpoint.fromBytes()` of a
 * file's bytes restores too, and a `data` written to a file restores by its path. The signature is the
 * HMAC of the SHA-256 of the file's first part (signed prefix, header, pickle stream); the header holds
 * the SHA-256 of every out-of-band buffer, which the worker checks before it unpickles.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { constants, type FileHandle, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { temporaryPathBeside } from "./_atomic_write.ts";
import { CheckpointError, InvalidOptionError, ProtocolError } from "./errors.ts";
import { resolveCheckpointKey } from "./checkpoint_key.ts";
import {
  type Checkpoint,
  checkpointOfFile,
  checkSignature,
  checkSignatureVersion,
  isSigned,
  MAC_BYTES,
  macOfDigest,
  type ParsedHeader,
  parseHeader,
  SIGNED_PREFIX_BYTES,
  UNSIGNED_MESSAGE,
} from "./checkpoint.ts";

/** The extension of checkpoint files (a convention: any name works). */
export const CHECKPOINT_FILE_EXTENSION = ".pyrepl3ckpt";

const FIRST_READ = 64 * 1024;
const CHUNK = 1024 * 1024;

/** A checkpoint file's header, size, and what its signature covers. */
export interface CheckpointFilePrefix {
  /** The header and where the pickle stream ends (in the worker's bytes). */
  parsed: ParsedHeader;
  /** The file's size in bytes. */
  size: number;
  /** The SHA-256 the signature covers; `null` for an unsigned file. */
  digest: Uint8Array | null;
  /** The file's last 32 bytes (its MAC); `null` for an unsigned file. */
  signature: Uint8Array | null;
}

/**
 * Reads a checkpoint file's header, and for a signed file hashes the part its signature covers (the
 * header and the pickle stream: a few bytes for arrays) and reads its MAC. Verifies nothing.
 *
 * @throws {CheckpointError} The file cannot be read, is not a checkpoint, or is truncated.
 */
export async function readFilePrefix(path: string): Promise<CheckpointFilePrefix> {
  let file: FileHandle;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new CheckpointError(`cannot open the checkpoint file ${path}: ${cause}`, { cause });
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile()) {
      throw new CheckpointError(
        `${path} is not a regular file (a directory, a FIFO or a device): not a checkpoint file`,
      );
    }
    const size = stat.size;
    let first = await readAt(file, 0, Math.min(size, FIRST_READ));
    const signed = isSigned(first);
    if (signed) {
      if (size < SIGNED_PREFIX_BYTES + MAC_BYTES) {
        throw new CheckpointError(`the checkpoint file ${path} is truncated (signature)`);
      }
      checkSignatureVersion(first);
    }
    const origin = signed ? SIGNED_PREFIX_BYTES : 0;
    if (first.length >= origin + 20) { // a header longer than the first read: read all of it
      const headerEnd = origin + 28 +
        Number(new DataView(first.buffer).getBigUint64(origin + 12, true));
      if (headerEnd > first.length && headerEnd <= size) first = await readAt(file, 0, headerEnd);
    }
    const parsed = parseHeader(first.subarray(origin), true);
    const covered = origin + parsed.streamEnd;
    if (covered > size - (signed ? MAC_BYTES : 0)) {
      throw new CheckpointError(`the checkpoint file ${path} is truncated (pickle stream)`);
    }
    if (!signed) return { parsed, size, digest: null, signature: null };
    const hash = createHash("sha256").update(first.subarray(0, Math.min(covered, first.length)));
    for (let offset = first.length; offset < covered; offset += CHUNK) {
      hash.update(await readAt(file, offset, Math.min(CHUNK, covered - offset)));
    }
    const signature = await readAt(file, size - MAC_BYTES, MAC_BYTES);
    return { parsed, size, digest: hash.digest(), signature };
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`cannot read the checkpoint file ${path}: ${error}`, {
      cause: error,
    });
  } finally {
    await file.close();
  }
}

async function readAt(file: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(bytes, filled, length - filled, offset + filled);
    if (bytesRead === 0) throw new CheckpointError("the checkpoint file is truncated");
    filled += bytesRead;
  }
  return bytes;
}

/**
 * Checks a checkpoint file's signature for restore; returns the digest (hex) the worker must find in the
 * file it reads (so a file swapped in between is refused), or `null` when `trust` skips the check.
 *
 * @throws {CheckpointError} Unsigned without `trust`, mis-signed, unreadable, not a checkpoint, truncated.
 */
export async function verifyCheckpointFile(
  path: string,
  options: { key?: string | Uint8Array; trust?: boolean },
): Promise<string | null> {
  const { digest, signature } = await readFilePrefix(path);
  if (options.trust) return null;
  if (digest === null || signature === null) throw new CheckpointError(UNSIGNED_MESSAGE);
  await checkSignature(digest, signature, options.key);
  return bytesToHex(digest);
}

/** How many times restore(path) checks a file again that was replaced between Deno's check and the worker's read. */
const CHANGED_ATTEMPTS = 5;
/** The worker's error type for a file that is not the one Deno checked (runner/checkpoint.py). */
const CHANGED_ERROR = "CheckpointChangedError:";

/**
 * Restores the checkpoint file at `path`: checks its signature, then has the worker read it (`send`, given
 * the digest the worker must find). A file replaced in between (another checkpoint renamed over it) is
 * checked again and read again, so a restore racing a rewrite gets the old file or the new one, whole.
 *
 * @throws {CheckpointError} As {@linkcode verifyCheckpointFile}, or whatever `send` throws.
 */
export async function restoreCheckpointFile(
  path: string,
  options: { key?: string | Uint8Array; trust?: boolean },
  send: (digest: string | null) => Promise<unknown>,
): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const digest = await verifyCheckpointFile(path, options);
    try {
      await send(digest);
      return;
    } catch (error) {
      const changed = error instanceof CheckpointError && error.message.includes(CHANGED_ERROR);
      if (!changed || attempt >= CHANGED_ATTEMPTS) throw error;
    }
  }
}

/**
 * The absolute target and the temporary file beside it that the worker writes a checkpoint to (same
 * directory, so the rename is atomic): `.NAME.xxxxxxxx.tmp`, NAME cut short (at a character boundary)
 * when the target's name is too long to take 14 more bytes.
 *
 * @throws {InvalidOptionError} `path` ends with a separator, `.` or `..` (it names a directory).
 */
export function checkpointFilePaths(path: string): { target: string; temp: string } {
  if (/[/\\]$/.test(path) || /(^|[/\\])\.{1,2}$/.test(path)) { // resolve() would drop what says "a directory"
    throw new InvalidOptionError(
      `checkpoint option path ${JSON.stringify(path)} names a directory: give the file's name`,
    );
  }
  const target = resolve(path);
  return { target, temp: temporaryPathBeside(target) };
}

/**
 * Refuses a checkpoint target that can never be renamed over, before the worker writes gigabytes: a
 * directory, a path in a directory that does not exist, a name the file system refuses; and a device,
 * FIFO or socket, which the rename would replace (`/dev/null`). (A symlink is fine: the rename replaces
 * the link itself, never the file it points to.)
 *
 * @throws {CheckpointError} The target is a directory, a device, a FIFO or a socket, its directory is
 * missing or not a directory, or the file system refuses its name.
 */
export async function checkCheckpointTarget(target: string): Promise<void> {
  const dir = dirname(target);
  const info = await Deno.stat(dir).catch(() => null);
  if (info === null || !info.isDirectory) {
    throw new CheckpointError(
      `cannot write the checkpoint file ${target}: its directory ${dir} does not exist`,
    );
  }
  let existing: Deno.FileInfo | null = null;
  try {
    existing = await Deno.lstat(target);
  } catch (cause) {
    if (!(cause instanceof Deno.errors.NotFound)) { // a name too long, a path through a file...
      throw new CheckpointError(`cannot write the checkpoint file ${target}: ${cause}`, { cause });
    }
  }
  if (existing?.isDirectory) {
    throw new CheckpointError(`cannot write the checkpoint file ${target}: it is a directory`);
  }
  if (existing && !existing.isFile && !existing.isSymlink) { // /dev/null, a FIFO, a socket: never replaced
    throw new CheckpointError(
      `cannot write the checkpoint file ${target}: it exists and is not a regular file (a device, a FIFO ` +
        "or a socket), which a checkpoint never replaces",
    );
  }
}

/**
 * Signs the temporary file the worker wrote (appends the MAC of its digest), flushes it to disk and renames
 * it over `target`. The caller removes `temp` when this throws.
 *
 * @param reply The worker's reply: the signed digest (hex), the JSON header and the size once signed.
 * @throws {CheckpointError} A malformed reply, or the file system refused.
 */
export async function sealCheckpointFile(
  temp: string,
  target: string,
  reply: { digest?: unknown; header?: unknown; size?: unknown },
  key: string | Uint8Array | undefined,
): Promise<Checkpoint> {
  const { digest, header, size } = reply;
  if (
    typeof digest !== "string" || !/^[0-9a-f]{64}$/.test(digest) || typeof header !== "string" ||
    typeof size !== "number"
  ) {
    throw new ProtocolError("the worker's reply to a file checkpoint is malformed");
  }
  const mac = macOfDigest(await resolveCheckpointKey(key), hexToBytes(digest));
  try {
    const file = await Deno.open(temp, { write: true, append: true });
    try {
      let rest = mac;
      while (rest.length > 0) rest = rest.subarray(await file.write(rest));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, target);
  } catch (cause) {
    throw new CheckpointError(`cannot finish the checkpoint file ${target}: ${cause}`, { cause });
  }
  await syncDirectory(dirname(target));
  return checkpointOfFile(target, header, size);
}

/** Flushes a rename to disk (best effort: not every platform can open a directory). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // the rename happened; only its durability across a power cut is not forced
  }
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
