/**
 * The secret that signs checkpoints: an explicit key, else `$PYREPL3_CHECKPOINT_KEY`, else a per-user key
 * file made on first use (`$PYREPL3_CHECKPOINT_KEY_FILE`, else `$XDG_CONFIG_HOME/pyrepl3/checkpoint.key`,
 * else `~/.config/pyrepl3/checkpoint.key`).
 *
 * The key stays in Deno: the Python process, which runs user code, never sees it. The key file holds 32
 * random bytes as 64 hex characters, so its text also works as a `PYREPL3_CHECKPOINT_KEY` value (copy it
 * to CI machines or teammates to share one key).
 *
 * @module
 */
import { CheckpointError, InvalidOptionError } from "./errors.ts";

/** The environment variable holding a checkpoint key (any non-empty text). */
export const CHECKPOINT_KEY_ENV = "PYREPL3_CHECKPOINT_KEY";
/** The environment variable naming the key file to use (or create) instead of the default one. */
export const CHECKPOINT_KEY_FILE_ENV = "PYREPL3_CHECKPOINT_KEY_FILE";

const KEY_BYTES = 32;
/** A key file larger than this is not one (a key is 64 hex characters; a shared passphrase fits too). */
const MAX_KEY_FILE_BYTES = 64 * 1024;
// One import per source per process: every session of a process signs with the same key, and the key file
// is read once. Keyed by source so a changed environment variable is honoured.
const cache = new Map<string, Promise<CryptoKey>>();

/**
 * Resolves the HMAC-SHA256 key that signs and verifies checkpoints.
 *
 * Order: `key` when given; else `$PYREPL3_CHECKPOINT_KEY`; else the key file, created on first use with 32
 * random bytes, mode 0600 in a 0700 directory. Creation is atomic and safe when several processes do it
 * at once: all of them end up with the same key.
 *
 * @param key An explicit key (text or bytes, not empty); overrides the environment and the key file.
 * @returns A non-extractable WebCrypto key for `HMAC` with `SHA-256`, usable to sign and verify.
 * @throws {InvalidOptionError} `key` is empty or not text or bytes.
 * @throws {CheckpointError} No key was given and the key file could not be read or made.
 *
 * @example
 * ```ts
 * import { resolveCheckpointKey } from "./checkpoint_key.ts";
 * const key = await resolveCheckpointKey("a team secret");
 * const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("data"));
 * console.log(mac.byteLength); // 32
 * ```
 */
export async function resolveCheckpointKey(key?: string | Uint8Array): Promise<CryptoKey> {
  if (key !== undefined) return await importKey(explicitKeyBytes(key));
  const fromEnv = Deno.env.get(CHECKPOINT_KEY_ENV);
  if (fromEnv) {
    return await cached(`env\0${fromEnv}`, () => importKey(new TextEncoder().encode(fromEnv)));
  }
  const path = keyFilePath();
  return await cached(`file\0${path}`, async () => importKey(await readOrCreateKeyFile(path)));
}

function explicitKeyBytes(key: unknown): Uint8Array {
  if (typeof key === "string" && key.length > 0) return new TextEncoder().encode(key);
  if (key instanceof Uint8Array && key.byteLength > 0) return key;
  throw new InvalidOptionError("checkpoint key: pass a non-empty string or Uint8Array");
}

function cached(source: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let promise = cache.get(source);
  if (promise === undefined) {
    promise = make();
    cache.set(source, promise);
    promise.catch(() => cache.delete(source)); // a failure is not remembered: the next call tries again
  }
  return promise;
}

function importKey(bytes: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    bytes as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

function keyFilePath(): string {
  const explicit = Deno.env.get(CHECKPOINT_KEY_FILE_ENV);
  if (explicit) return explicit;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = Deno.env.get("XDG_CONFIG_HOME");
  if (xdg && xdg.startsWith("/")) return `${xdg}/pyrepl3/checkpoint.key`;
  const home = Deno.env.get("HOME") || Deno.env.get("USERPROFILE");
  if (!home) {
    throw new CheckpointError(
      `no home directory to keep the checkpoint key in: set ${CHECKPOINT_KEY_ENV} (the key) or ` +
        `${CHECKPOINT_KEY_FILE_ENV} (a file for it), or pass a key`,
    );
  }
  return `${home}/.config/pyrepl3/checkpoint.key`;
}

async function readOrCreateKeyFile(path: string): Promise<Uint8Array> {
  const existing = await readKeyFile(path);
  if (existing !== null) return existing;
  await createKeyFile(path);
  const created = await readKeyFile(path);
  if (created === null) {
    throw new CheckpointError(`checkpoint key file ${path} vanished as it was made`);
  }
  return created;
}

/** The key file's text without surrounding whitespace, as bytes; null when there is no file. */
async function readKeyFile(path: string): Promise<Uint8Array | null> {
  let text: string;
  try {
    // A FIFO would make the read wait for a writer forever, /dev/zero never end: only a regular file
    // of a key's size is read.
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > MAX_KEY_FILE_BYTES) {
      throw new CheckpointError(
        `the checkpoint key file ${path} is not a key file (${
          info.isFile ? `${info.size} bytes` : "not a regular file"
        }); point ${CHECKPOINT_KEY_FILE_ENV} at a file holding the key, or set ${CHECKPOINT_KEY_ENV}`,
      );
    }
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    if (cause instanceof Deno.errors.NotFound) return null;
    throw new CheckpointError(
      `cannot read the checkpoint key file ${path}: ${cause}; fix its permissions or set ${CHECKPOINT_KEY_ENV}`,
      { cause },
    );
  }
  const key = text.trim();
  if (key.length === 0) {
    throw new CheckpointError(
      `the checkpoint key file ${path} is empty; delete it to make a new key (checkpoints signed with ` +
        "the old one will need trust: true)",
    );
  }
  return new TextEncoder().encode(key);
}

/**
 * Writes a fresh key to a temporary file beside `path`, then hard-links it to `path`. A link never replaces
 * an existing file, so when several processes race, the first link wins and every other process reads the
 * winner's complete file (a reader can never see a half-written key).
 */
async function createKeyFile(path: string): Promise<void> {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = cut > 0 ? path.slice(0, cut) : cut === 0 ? path.slice(0, 1) : ".";
  const bytes = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const text = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("") + "\n";
  const temp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      await file.write(new TextEncoder().encode(text));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.link(temp, path);
  } catch (cause) {
    if (!(cause instanceof Deno.errors.AlreadyExists)) {
      throw new CheckpointError(
        `cannot create the checkpoint key file ${path}: ${cause}; set ${CHECKPOINT_KEY_ENV} or ` +
          `${CHECKPOINT_KEY_FILE_ENV}, or pass a key`,
        { cause },
      );
    }
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}
