/**
 * Images saved in a notebook, compared only when asked (`--nb-images`): each is written once to a
 * content-addressed file under the temporary directory (a directory of the user's own) and expected as an image snapshot, so the
 * rich-output comparison (`lib/scenario/snapshot.ts`: PNGs by decoded pixels) judges it, and a
 * mismatch leaves the actual and diff images beside that file.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SnapshotExpectation } from "../scenario/types.ts";

/** The image types a notebook's outputs are compared by when images are asked for. */
export const IMAGE_TYPES: readonly string[] = ["image/png", "image/jpeg"];

let imagesDir: string | undefined;

/**
 * The directory the saved images are written to: `pyrepl3-notebook-images-UID` under the temporary
 * directory, shared by this user's runs (content-addressed, so written once), made private (0700).
 * When that name is taken by something else (a file, another user's directory, which this user
 * cannot write to), a fresh private directory of this run.
 */
function imagesDirectory(): string {
  if (imagesDir !== undefined) return imagesDir;
  const uid = Deno.uid();
  const shared = join(tmpdir(), `pyrepl3-notebook-images-${uid ?? "user"}`);
  try {
    Deno.mkdirSync(shared, { recursive: true, mode: 0o700 });
    const info = Deno.lstatSync(shared);
    if (info.isDirectory && (uid === null || info.uid === uid)) return imagesDir = shared;
  } catch {
    // taken by a file
  }
  return imagesDir = Deno.makeTempDirSync({ prefix: "pyrepl3-notebook-images-" });
}

/**
 * True when `snapshot` is an image `savedImageSnapshot()` wrote: an absolute path, which a
 * scenario file may not name, but one that is only read (`--update` writes the notebook instead).
 *
 * @example
 * ```ts
 * import { isNotebookImage } from "./images.ts";
 * if (isNotebookImage("plots/hist.png")) throw new Error("a scenario's snapshot");
 * ```
 */
export function isNotebookImage(snapshot: string): boolean {
  return imagesDir !== undefined && snapshot.startsWith(`${imagesDir}/`) &&
    !snapshot.includes("..");
}

const EXTENSIONS: Record<string, string> = { "image/png": ".png", "image/jpeg": ".jpg" };

/**
 * The snapshot expectation of an image a notebook saved (base64, as nbformat stores it).
 *
 * @example
 * ```ts
 * import { savedImageSnapshot } from "./images.ts";
 * const { snapshot } = savedImageSnapshot("image/png", btoa("not really a png"));
 * if (Deno.readTextFileSync(snapshot) !== "not really a png") throw new Error(snapshot);
 * ```
 */
export function savedImageSnapshot(mime: string, base64: string): SnapshotExpectation {
  const bytes = Buffer.from(base64.replace(/\s+/g, ""), "base64");
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 32);
  const dir = imagesDirectory();
  const file = join(dir, `${digest}${EXTENSIONS[mime] ?? ".bin"}`);
  try {
    Deno.statSync(file);
  } catch {
    Deno.mkdirSync(dir, { recursive: true });
    // Renamed into place: a reader in another run sees the whole image or none.
    const temp = `${file}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    Deno.writeFileSync(temp, bytes);
    Deno.renameSync(temp, file);
  }
  return { snapshot: file, tolerance: 0 };
}
