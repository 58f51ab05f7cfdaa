/**
 * Checkpoint: a session's saved namespace, portable to a fresh process of the same Python minor version.
 *
 * The worker's bytes are made by runner/checkpoint.py: `PYR3CKPT`, a u32 format version, a JSON header, the
 * pickle stream and its out-of-band buffers (little-endian lengths). Restoring unpickles, which runs code, so
 * this side signs them before anyone sees them and verifies them before the worker unpickles:
 *
 *     PYR3SIGN | u32 signature version 2 | the worker's bytes | MAC
 *
 * MAC = HMAC-SHA256(key, SHA-256 of everything up to the end of the pickle stream). That part holds the
 * header, and the header holds the SHA-256 of every out-of-band buffer, which the worker checks before it
 * unpickles: the MAC covers every byte, yet signing and verifying here hash only the header and the
 * pickle stream (a 512 MB array costs microseconds here, not 0.3 s), and a checkpoint file is signed
 * without its bytes passing through Deno (lib/checkpoint_file.ts). The key (lib/checkpoint_key.ts) never
 * enters the Python process, so code run in a session cannot sign.
 *
 * @module
 */
import { createHash, createHmac, KeyObject, timingSafeEqual } from "node:crypto";
import { CheckpointError } from "./errors.ts";
import { CHECKPOINT_KEY_ENV, resolveCheckpointKey } from "./checkpoint_key.ts";
import { readFilePrefix } from "./checkpoint_file.ts";

const MAGIC = new TextEncoder().encode("PYR3CKPT");
const SIGNED_MAGIC = new TextEncoder().encode("PYR3SIGN");
const SIGNATURE_VERSION = 2;
const SIGNED_PREFIX = SIGNED_MAGIC.length + 4;
/** The bytes of a signature at the end of signed data. */
export const MAC_BYTES = 32;
/** The checkpoint format this library reads and writes (3: SHA-256 of every part, big buffers page-aligned). */
export const CHECKPOINT_FORMAT_VERSION = 3;
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

/** Makes the Checkpoint of a file (checkpoint_file.ts); set by the class's static block. */
let fileCheckpoint: (path: string, header: CheckpointHeader, size: number) => Checkpoint;

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
 * A saved session state: its bytes in memory (`data`), or a file the worker wrote
 * (`session.checkpoint({ path })`, then `path` is set). Write `data` to a file and read it back with
 * `Checkpoint.fromBytes()`, or restore a file by its path; `session.restore(checkpoint)` works in the same
 * session and in a fresh one.
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
  /** The file holding the checkpoint, for one the worker wrote; `null` for one held in memory. */
  readonly path: string | null;
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
  readonly #data: Uint8Array | null;
  readonly #size: number;

  private constructor(
    data: Uint8Array | null,
    header: CheckpointHeader,
    file?: { path: string; size: number },
  ) {
    this.#data = data;
    this.path = file?.path ?? null;
    this.#size = file?.size ?? data!.byteLength;
    this.createdAt = new Date(header.created_at);
    this.pythonVersion = header.python;
    this.names = header.names;
    this.skipped = header.skipped;
    this.executionCount = header.execution_count;
    this.id = `ckpt-${header.created_at.replace(/[^0-9]/g, "")}-${
      String(header.pickle_sha256).slice(0, 8)
    }`;
  }

  /**
   * The checkpoint's bytes, signed: what to write to a file and read back with `fromBytes()`.
   *
   * @throws {CheckpointError} For a checkpoint in a file (`path` is set): its bytes never entered Deno;
   * restore it with `session.restore(checkpoint)`, or read the file.
   */
  get data(): Uint8Array {
    if (this.#data === null) {
      throw new CheckpointError(
        `this checkpoint is in the file ${this.path}; its bytes were not loaded into Deno: restore it ` +
          "with session.restore(checkpoint) or session.restore({ path }), or read the file",
      );
    }
    return this.#data;
  }

  /** The size of the checkpoint in bytes (of `data`, or of the file). */
  get sizeBytes(): number {
    return this.#size;
  }

  /**
   * Reads a checkpoint's metadata from its bytes, signed or not; throws CheckpointError for data that is not
   * a checkpoint. Reading verifies nothing: `restore()` does.
   */
  static fromBytes(data: Uint8Array): Checkpoint {
    return new Checkpoint(data, readHeader(isSigned(data) ? splitSigned(data).raw : data));
  }

  /**
   * The metadata of a checkpoint file from its header (a few bytes read; nothing verified: `restore()`
   * does).
   *
   * @throws {CheckpointError} The file cannot be read or is not a checkpoint file.
   */
  static async fromFile(path: string): Promise<Checkpoint> {
    const { parsed, size } = await readFilePrefix(path);
    return new Checkpoint(null, parsed.header, { path, size });
  }

  static {
    fileCheckpoint = (path, header, size) => new Checkpoint(null, header, { path, size });
  }
}

/** The Checkpoint of a file the worker wrote, from its header (internal). */
export function checkpointOfFile(path: string, headerJson: string, size: number): Checkpoint {
  let header: CheckpointHeader;
  try {
    header = JSON.parse(headerJson);
  } catch (cause) {
    throw new CheckpointError("the worker sent a corrupt checkpoint header", { cause });
  }
  return fileCheckpoint(path, header, size);
}

/** The parsed header of checkpoint bytes, and where their pickle stream ends. */
export interface CheckpointHeader {
  /** The format version. */
  format_version: number;
  /** The Python `major.minor`. */
  python: string;
  /** ISO time of creation. */
  created_at: string;
  /** The session's execution count. */
  execution_count: number;
  /** The names saved. */
  names: string[];
  /** The values not saved. */
  skipped: SkippedValue[];
  /** SHA-256 (hex) of the pickle stream. */
  pickle_sha256: string;
}

/** A header, and the offset in the worker's bytes where the pickle stream ends (what the MAC covers). */
export interface ParsedHeader {
  /** The header's fields. */
  header: CheckpointHeader;
  /** Where the pickle stream ends in the worker's bytes. */
  streamEnd: number;
}

function readHeader(data: Uint8Array): CheckpointHeader {
  return parseHeader(data).header;
}

/**
 * Parses the worker's bytes' header and finds where their pickle stream ends. With `allowShort`, `data`
 * may stop after the header (checkpoint_file.ts reads a file's first bytes with it).
 */
export function parseHeader(data: Uint8Array, allowShort = false): ParsedHeader {
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
      `checkpoint format ${version} is from an older PyREPL3; this one reads format ` +
        `${CHECKPOINT_FORMAT_VERSION}: restore it with the PyREPL3 that made it and take a new checkpoint`,
    );
  }
  const headerLength = Number(view.getBigUint64(MAGIC.length + 4, true));
  const start = MAGIC.length + 12;
  if (start + headerLength + 8 > data.length) {
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
    !Array.isArray(header.names) || !Array.isArray(header.skipped) ||
    typeof header.pickle_sha256 !== "string"
  ) {
    throw new CheckpointError("checkpoint header is corrupt: missing fields");
  }
  const streamEnd = start + headerLength + 8 +
    Number(view.getBigUint64(start + headerLength, true));
  if (!allowShort && streamEnd > data.length) {
    throw new CheckpointError("checkpoint is truncated (pickle stream)");
  }
  return { header: { ...header, format_version: version }, streamEnd };
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
 * Signs the bytes a worker made for a checkpoint and wraps them in a {@linkcode Checkpoint} whose `data` is
 * the signed bytes. The MAC covers every byte: it is the HMAC of the SHA-256 of the header and the pickle
 * stream, and the header holds the SHA-256 of every out-of-band buffer (checked by the worker on restore).
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
  const { streamEnd } = parseHeader(raw);
  const key = await resolveCheckpointKey(options.key);
  const length = SIGNED_PREFIX + raw.byteLength + MAC_BYTES;
  let sealed: Uint8Array;
  if (roomy.delete(raw)) {
    sealed = new Uint8Array(raw.buffer, raw.byteOffset - SIGNED_PREFIX, length);
  } else {
    sealed = new Uint8Array(length);
    sealed.set(raw, SIGNED_PREFIX);
  }
  sealed.set(signedPrefix());
  const digest = sha256(sealed.subarray(0, SIGNED_PREFIX + streamEnd));
  sealed.set(macOfDigest(key, digest), SIGNED_PREFIX + raw.byteLength);
  return Checkpoint.fromBytes(sealed);
}

/** `PYR3SIGN` and the signature version: the first bytes of signed data and of a checkpoint file. */
export function signedPrefix(): Uint8Array {
  const prefix = new Uint8Array(SIGNED_PREFIX);
  prefix.set(SIGNED_MAGIC);
  new DataView(prefix.buffer).setUint32(SIGNED_MAGIC.length, SIGNATURE_VERSION, true);
  return prefix;
}

function sha256(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(data).digest();
}

/**
 * The MAC of a checkpoint whose signed digest (the SHA-256 of its bytes up to the end of the pickle
 * stream, signed prefix included) is `digest`: HMAC-SHA256 with node:crypto, which accepts the
 * non-extractable key.
 */
export function macOfDigest(key: CryptoKey, digest: Uint8Array): Uint8Array {
  return createHmac("sha256", KeyObject.from(key)).update(digest).digest();
}

/**
 * Throws unless `signature` is the MAC of `digest` under the key (compared in constant time).
 *
 * @throws {CheckpointError} A signature made under another key, or over other bytes.
 */
export async function checkSignature(
  digest: Uint8Array,
  signature: Uint8Array,
  key: string | Uint8Array | undefined,
): Promise<void> {
  const expected = macOfDigest(await resolveCheckpointKey(key), digest);
  // Both are MAC_BYTES long, so timingSafeEqual compares every byte, in constant time.
  if (signature.byteLength !== MAC_BYTES || !timingSafeEqual(expected, signature)) {
    throw new CheckpointError(
      "this checkpoint's signature does not match the checkpoint key: it was changed after it was made, " +
        "or made under another key. Restoring runs code it holds, so it is refused. If it comes from a " +
        `user or machine you trust, restore with the key it was made with (the key option or ` +
        `${CHECKPOINT_KEY_ENV}), or pass trust: true`,
    );
  }
}

/** The message for unsigned data or an unsigned file restored without `trust: true`. */
export const UNSIGNED_MESSAGE =
  "this checkpoint is not signed, so anyone could have made it, and restoring it runs code it holds. " +
  "Restore checkpoints as PyREPL3 wrote them (Checkpoint.data or its file); if you trust where these " +
  "bytes come from, pass trust: true";

/**
 * Verifies a checkpoint's signature and returns the worker's bytes inside it, for restore. Nothing reaches
 * the worker unless the signature matches the key (compared in constant time), or the caller passes
 * `trust: true`. The signature covers the header and the pickle stream here; the worker checks every
 * out-of-band buffer against the SHA-256 the header holds before it unpickles anything.
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
    if (!options.trust) throw new CheckpointError(UNSIGNED_MESSAGE);
    return data;
  }
  const { raw, signature } = splitSigned(data);
  const { streamEnd } = parseHeader(raw);
  if (!options.trust) {
    await checkSignature(
      sha256(data.subarray(0, SIGNED_PREFIX + streamEnd)),
      signature,
      options.key,
    );
  }
  return raw;
}

/** Whether `data` starts like signed checkpoint data (`PYR3SIGN`). */
export function isSigned(data: Uint8Array): boolean {
  return data instanceof Uint8Array && data.length >= SIGNED_MAGIC.length &&
    SIGNED_MAGIC.every((byte, i) => data[i] === byte);
}

/** The parts of signed data: the worker's bytes and the MAC. */
function splitSigned(data: Uint8Array): { raw: Uint8Array; signature: Uint8Array } {
  if (data.length < SIGNED_PREFIX + MAC_BYTES) {
    throw new CheckpointError("checkpoint is truncated (signature)");
  }
  checkSignatureVersion(data);
  const end = data.length - MAC_BYTES;
  return { raw: data.subarray(SIGNED_PREFIX, end), signature: data.subarray(end) };
}

/**
 * Throws unless signed data (or a file's first bytes) carry the signature version this library reads.
 *
 * @throws {CheckpointError} Another signature version (an older PyREPL3 signed it differently).
 */
export function checkSignatureVersion(data: Uint8Array): void {
  const version = new DataView(data.buffer, data.byteOffset, data.byteLength)
    .getUint32(SIGNED_MAGIC.length, true);
  if (version !== SIGNATURE_VERSION) {
    throw new CheckpointError(
      `checkpoint signature version ${version} is not the one this PyREPL3 reads (${SIGNATURE_VERSION}); ` +
        (version > SIGNATURE_VERSION
          ? "a newer PyREPL3 made it: upgrade to restore it"
          : "an older PyREPL3 made it: restore it with that one and take a new checkpoint"),
    );
  }
}

/** The length of the signed prefix (`PYR3SIGN` and the signature version). */
export const SIGNED_PREFIX_BYTES: number = SIGNED_PREFIX;
