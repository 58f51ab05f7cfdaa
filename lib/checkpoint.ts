/**
 * Checkpoint: a session's saved namespace, portable to a fresh process of the same Python minor version.
 *
 * The worker's bytes are made by runner/checkpoint.py: `PYR3CKPT`, a u32 format version, a JSON header, the
 * pickle stream and its out-of-band buffers (little-endian lengths). Restoring unpickles, which runs code, so
 * this side signs them before anyone sees them and verifies them before the worker does:
 *
 *     PYR3SIGN | u32 signature version | the worker's bytes | HMAC-SHA256 of everything before it
 *
 * The key (lib/checkpoint_key.ts) never enters the Python process, so code run in a session cannot sign.
 * This side reads the header only.
 *
 * @module
 */
import { createHmac, KeyObject, timingSafeEqual } from "node:crypto";
import { CheckpointError } from "./errors.ts";
import { CHECKPOINT_KEY_ENV, resolveCheckpointKey } from "./checkpoint_key.ts";

const MAGIC = new TextEncoder().encode("PYR3CKPT");
const SIGNED_MAGIC = new TextEncoder().encode("PYR3SIGN");
const SIGNATURE_VERSION = 1;
const SIGNED_PREFIX = SIGNED_MAGIC.length + 4;
const MAC_BYTES = 32;
/** The checkpoint format this library reads and writes (2: signed, every buffer checksummed). */
export const CHECKPOINT_FORMAT_VERSION = 2;
/** Blobs from {@linkcode allocateCheckpointBlob} not sealed yet: sealing writes around them once. */
const roomy = new WeakSet<Uint8Array>();

/**
 * Makes the array a worker's checkpoint bytes are read into (`FrameReader.readRaw`'s `allocate`): a view
 * with room for the signature around it, so that {@linkcode sealCheckpoint} signs it in place instead of
 * copying 512 MB into the signed layout (that copy into fresh memory cost 0.35-0.85 s, page faults).
 *
 * @param length The checkpoint's size in bytes.
 * @returns A zeroed view of `length` bytes.
 */
export function allocateCheckpointBlob(length: number): Uint8Array {
  const view = new Uint8Array(SIGNED_PREFIX + length + MAC_BYTES)
    .subarray(SIGNED_PREFIX, SIGNED_PREFIX + length);
  roomy.add(view);
  return view;
}

/** A value the checkpoint could not save, and why. */
export interface SkippedValue {
  /** The name in the namespace. */
  name: string;
  /** The value's type name, e.g. `generator`. */
  type: string;
  /** Why it could not be saved (the pickling error). */
  reason: string;
}

/**
 * A saved session state. Write `data` to a file and read it back with `Checkpoint.fromBytes()`;
 * `session.restore(checkpoint)` works in the same session and in a fresh one.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * await using first = new Session();
 * await first.start();
 * await first.execute("greeting = 'hi'");
 * const checkpoint = await first.checkpoint();
 * await using second = new Session();
 * await second.start();
 * await second.restore(checkpoint);
 * console.log((await second.execute("greeting")).value); // "hi"
 * ```
 */
export class Checkpoint {
  /** An id derived from the content (creation time and checksum). */
  readonly id: string;
  /** The checkpoint's bytes, signed: what to write to a file and read back with `fromBytes()`. */
  readonly data: Uint8Array;
  /** When the checkpoint was made. */
  readonly createdAt: Date;
  /** The Python `major.minor` that made it (restore needs the same). */
  readonly pythonVersion: string;
  /** The names it holds. */
  readonly names: string[];
  /** The values it could not save. */
  readonly skipped: SkippedValue[];
  /** The session's execution count when it was made. */
  readonly executionCount: number;

  private constructor(data: Uint8Array, header: CheckpointHeader) {
    this.data = data;
    this.createdAt = new Date(header.created_at);
    this.pythonVersion = header.python;
    this.names = header.names;
    this.skipped = header.skipped;
    this.executionCount = header.execution_count;
    this.id = `ckpt-${header.created_at.replace(/[^0-9]/g, "")}-${
      (header.pickle_crc32 >>> 0).toString(16).padStart(8, "0")
    }`;
  }

  /** The size of `data` in bytes. */
  get sizeBytes(): number {
    return this.data.byteLength;
  }

  /**
   * Reads a checkpoint's metadata from its bytes, signed or not; throws CheckpointError for data that is not
   * a checkpoint. Reading verifies nothing: `restore()` does.
   */
  static fromBytes(data: Uint8Array): Checkpoint {
    return new Checkpoint(data, readHeader(isSigned(data) ? splitSigned(data).raw : data));
  }
}

interface CheckpointHeader {
  format_version: number;
  python: string;
  created_at: string;
  execution_count: number;
  names: string[];
  skipped: SkippedValue[];
  pickle_crc32: number;
}

function readHeader(data: Uint8Array): CheckpointHeader {
  if (!(data instanceof Uint8Array)) {
    throw new CheckpointError("a checkpoint is a Uint8Array of its bytes");
  }
  if (data.length < MAGIC.length + 12 || !MAGIC.every((byte, i) => data[i] === byte)) {
    throw new CheckpointError("these bytes are not a PyREPL3 checkpoint (bad magic number)");
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint32(MAGIC.length, true);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      `checkpoint format ${version} is newer than this PyREPL3 reads (${CHECKPOINT_FORMAT_VERSION}); upgrade`,
    );
  }
  if (version < CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      `checkpoint format ${version} is from an older PyREPL3, before checkpoints were signed; this one ` +
        `reads format ${CHECKPOINT_FORMAT_VERSION}: restore it with the PyREPL3 that made it and take a new checkpoint`,
    );
  }
  const headerLength = Number(view.getBigUint64(MAGIC.length + 4, true));
  const start = MAGIC.length + 12;
  if (start + headerLength > data.length) {
    throw new CheckpointError("checkpoint is truncated (header)");
  }
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(data.subarray(start, start + headerLength)));
  } catch (cause) {
    throw new CheckpointError("checkpoint header is corrupt", { cause });
  }
  if (
    typeof header !== "object" || header === null || typeof header.python !== "string" ||
    !Array.isArray(header.names) || !Array.isArray(header.skipped)
  ) {
    throw new CheckpointError("checkpoint header is corrupt: missing fields");
  }
  return { ...header, format_version: version };
}

/** Options of {@linkcode sealCheckpoint}. */
export interface SealCheckpointOptions {
  /** The key to sign with; default: `$PYREPL3_CHECKPOINT_KEY`, else the per-user key file. */
  key?: string | Uint8Array;
}

/** Options of {@linkcode openCheckpoint}. */
export interface OpenCheckpointOptions extends SealCheckpointOptions {
  /**
   * Accept the checkpoint without checking its signature (unsigned, or signed under another key). Restoring
   * runs code the checkpoint holds: pass it only for checkpoints from a source you trust. Default `false`.
   */
  trust?: boolean;
}

/**
 * Signs the bytes a worker made for a checkpoint (HMAC-SHA256 over every byte: header, pickle stream and
 * out-of-band buffers) and wraps them in a {@linkcode Checkpoint} whose `data` is the signed bytes.
 *
 * @param raw The worker's checkpoint bytes; left as they are. A blob from
 * {@linkcode allocateCheckpointBlob} is signed in place the first time: the checkpoint's `data` then shares
 * its buffer. Any other bytes are copied into the signed layout.
 * @throws {CheckpointError} `raw` is not a checkpoint of the format this library reads, or no key.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import { openCheckpoint, sealCheckpoint } from "./checkpoint.ts";
 * await using session = new Session();
 * await session.start();
 * await session.execute("x = 1");
 * const raw = await openCheckpoint((await session.checkpoint()).data, { trust: true });
 * const checkpoint = await sealCheckpoint(raw, { key: "a team secret" });
 * console.log(checkpoint.names); // ["x"]
 * ```
 */
export async function sealCheckpoint(
  raw: Uint8Array,
  options: SealCheckpointOptions = {},
): Promise<Checkpoint> {
  readHeader(raw);
  const key = await resolveCheckpointKey(options.key);
  const length = SIGNED_PREFIX + raw.byteLength + MAC_BYTES;
  let sealed: Uint8Array;
  if (roomy.delete(raw)) {
    sealed = new Uint8Array(raw.buffer, raw.byteOffset - SIGNED_PREFIX, length);
  } else {
    sealed = new Uint8Array(length);
    sealed.set(raw, SIGNED_PREFIX);
  }
  sealed.set(SIGNED_MAGIC);
  new DataView(sealed.buffer, sealed.byteOffset).setUint32(
    SIGNED_MAGIC.length,
    SIGNATURE_VERSION,
    true,
  );
  const covered = sealed.subarray(0, SIGNED_PREFIX + raw.byteLength);
  sealed.set(mac(key, covered), covered.byteLength);
  return Checkpoint.fromBytes(sealed);
}

/**
 * HMAC-SHA256 of `data` with node:crypto, which hashes the caller's memory: WebCrypto's sign and verify
 * copy their input first (512 MB of fresh memory: 0.6-1.5 s measured), where this takes ~0.3 s.
 */
function mac(key: CryptoKey, data: Uint8Array): Uint8Array {
  return createHmac("sha256", KeyObject.from(key)).update(data).digest();
}

/**
 * Verifies a checkpoint's signature and returns the worker's bytes inside it, for restore. Nothing reaches
 * the worker unless the signature matches the key (compared in constant time), or the caller passes
 * `trust: true`.
 *
 * @param data A checkpoint's `data` (signed), or a worker's bytes when `trust` is true.
 * @returns The worker's checkpoint bytes (a view into `data`, not a copy).
 * @throws {CheckpointError} Unsigned or mis-signed data without `trust: true`, data that is not a
 * checkpoint of the format this library reads, or no key.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import { openCheckpoint, sealCheckpoint } from "./checkpoint.ts";
 * await using session = new Session();
 * await session.start();
 * const raw = await openCheckpoint((await session.checkpoint()).data, { trust: true });
 * const signed = await sealCheckpoint(raw, { key: "a team secret" });
 * const opened = await openCheckpoint(signed.data, { key: "a team secret" });
 * console.log(new TextDecoder().decode(opened.subarray(0, 8))); // PYR3CKPT
 * await openCheckpoint(signed.data, { key: "another key" }).catch((error) => console.log(error.name));
 * // CheckpointError
 * ```
 */
export async function openCheckpoint(
  data: Uint8Array,
  options: OpenCheckpointOptions = {},
): Promise<Uint8Array> {
  if (!isSigned(data)) {
    readHeader(data);
    if (!options.trust) {
      throw new CheckpointError(
        "this checkpoint is not signed, so anyone could have made it, and restoring it runs code it holds. " +
          "Restore checkpoints as PyREPL3 wrote them (Checkpoint.data); if you trust where these bytes " +
          "come from, pass trust: true",
      );
    }
    return data;
  }
  const { raw, covered, signature } = splitSigned(data);
  if (!options.trust) {
    const key = await resolveCheckpointKey(options.key);
    // Both are MAC_BYTES long (splitSigned), so timingSafeEqual compares every byte, in constant time.
    if (!timingSafeEqual(mac(key, covered), signature)) {
      throw new CheckpointError(
        "this checkpoint's signature does not match the checkpoint key: it was changed after it was made, " +
          "or made under another key. Restoring runs code it holds, so it is refused. If it comes from a " +
          `user or machine you trust, restore with the key it was made with (the key option or ` +
          `${CHECKPOINT_KEY_ENV}), or pass trust: true`,
      );
    }
  }
  readHeader(raw);
  return raw;
}

function isSigned(data: Uint8Array): boolean {
  return data instanceof Uint8Array && data.length >= SIGNED_MAGIC.length &&
    SIGNED_MAGIC.every((byte, i) => data[i] === byte);
}

/** The parts of signed data: the worker's bytes, the bytes the MAC covers, and the MAC. */
function splitSigned(
  data: Uint8Array,
): { raw: Uint8Array; covered: Uint8Array; signature: Uint8Array } {
  if (data.length < SIGNED_PREFIX + MAC_BYTES) {
    throw new CheckpointError("checkpoint is truncated (signature)");
  }
  const version = new DataView(data.buffer, data.byteOffset, data.byteLength)
    .getUint32(SIGNED_MAGIC.length, true);
  if (version !== SIGNATURE_VERSION) {
    throw new CheckpointError(
      `checkpoint signature version ${version} is not the one this PyREPL3 reads (${SIGNATURE_VERSION})`,
    );
  }
  const end = data.length - MAC_BYTES;
  return {
    raw: data.subarray(SIGNED_PREFIX, end),
    covered: data.subarray(0, end),
    signature: data.subarray(end),
  };
}
