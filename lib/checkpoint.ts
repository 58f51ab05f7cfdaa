/**
 * Checkpoint: a session's saved namespace, portable to a fresh process of the same Python minor version.
 *
 * The bytes are made by runner/checkpoint.py: `PYR3CKPT`, a u32 format version, a JSON header, the pickle
 * stream and its out-of-band buffers (little-endian lengths). This side reads the header only.
 *
 * @module
 */
import { CheckpointError } from "./errors.ts";

const MAGIC = new TextEncoder().encode("PYR3CKPT");
/** The newest checkpoint format this library reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;

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
  /** The checkpoint's bytes. */
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

  /** Reads a checkpoint from its bytes; throws CheckpointError for data that is not a checkpoint. */
  static fromBytes(data: Uint8Array): Checkpoint {
    return new Checkpoint(data, readHeader(data));
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
