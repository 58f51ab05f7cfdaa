/**
 * Image snapshots: an image a step showed, compared with a file beside the scenario by its decoded
 * pixels (fast-png, pixelmatch). A failed comparison leaves the actual image and a diff image beside
 * the snapshot (`hist.png` → `hist.actual.png`, `hist.diff.png`); a passing one removes them. A
 * report written to a file gets copies of them beside it (`copySnapshotImages`).
 *
 * @module
 */
import { decode, encode } from "npm:fast-png@8.0.0";
import pixelmatch from "npm:pixelmatch@8.0.0";
import { basename, isAbsolute, join, normalize, relative, resolve } from "node:path";
import { writeFileAtomicSync } from "../_atomic_write.ts";
import { pngSize } from "../report/_bundle.ts";
import type { RunReport } from "../report/model.ts";

/**
 * The largest image compared pixel by pixel (7071x7071): decoding, RGBA copies and the diff take
 * about 20 bytes a pixel, 1 GB here; a bigger one passes only when its bytes are the snapshot's.
 */
export const MAX_COMPARED_PIXELS = 50_000_000;

/** How a snapshot compared. */
export interface SnapshotVerdict {
  /** True when the image matches the snapshot within the tolerance. */
  ok: boolean;
  /** Why it did not, in one sentence. */
  reason?: string;
  /** The snapshot's path (resolved against the scenario's directory). */
  file: string;
  /** Where the actual image was written, when it failed. */
  actualFile?: string;
  /** Where the diff image was written, when the sizes agreed. */
  diffFile?: string;
}

/** The file an image snapshot's actual image or diff is written to: `hist.png` → `hist.actual.png`. */
export function snapshotSibling(file: string, suffix: "actual" | "diff"): string {
  const dot = file.lastIndexOf(".");
  const slash = file.lastIndexOf("/");
  return dot > slash ? `${file.slice(0, dot)}.${suffix}${file.slice(dot)}` : `${file}.${suffix}`;
}

/** `snapshot` resolved against `dir` (the directory of the file that names it). */
export function snapshotPath(snapshot: string, dir: string): string {
  return isAbsolute(snapshot) ? snapshot : join(dir, snapshot);
}

/**
 * Why `snapshot` cannot name a snapshot file, or undefined when it can: it must be a relative path
 * to a file inside the scenario file's directory tree (`--update` writes there, and its actual and
 * diff images beside it), so an absolute path, one that climbs out with `..`, or one naming a
 * directory is refused.
 *
 * @example
 * ```ts
 * import { snapshotPathProblem } from "./snapshot.ts";
 * snapshotPathProblem("plots/hist.png"); // undefined
 * snapshotPathProblem("../../outside.png"); // "snapshot ../../outside.png is outside ..."
 * ```
 */
export function snapshotPathProblem(snapshot: string): string | undefined {
  const where = "the scenario file's directory (snapshots are written there by --update)";
  if (isAbsolute(snapshot) || /^[A-Za-z]:[\\/]/.test(snapshot)) {
    return `snapshot ${snapshot} must be a path relative to ${where}, not an absolute path`;
  }
  const normal = normalize(snapshot.replaceAll("\\", "/"));
  if (normal === ".." || normal.startsWith("../")) {
    return `snapshot ${snapshot} is outside ${where}`;
  }
  if (normal === "." || normal === "./" || /[/]$/.test(normal)) {
    return `snapshot ${snapshot} names a directory, not a file`;
  }
  return undefined;
}

/**
 * Compares `actual` (the image's bytes) with the snapshot file: PNGs by pixels, with at most
 * `tolerance` (a fraction) of the pixels differing beyond pixelmatch's colour threshold; other
 * types byte for byte.
 *
 * @example
 * ```ts
 * import { compareSnapshot } from "./snapshot.ts";
 * const verdict = compareSnapshot(new Uint8Array([1]), "/nonexistent/x.png", 0, "image/png");
 * if (verdict.ok) throw new Error("a missing snapshot fails");
 * ```
 */
export function compareSnapshot(
  actual: Uint8Array,
  file: string,
  tolerance = 0,
  mime = "image/png",
): SnapshotVerdict {
  let expected: Uint8Array;
  try {
    // A FIFO or a device in the snapshot's place would block this synchronous read forever.
    if (!Deno.statSync(file).isFile) {
      return failed(file, actual, `snapshot ${file} is not a regular file`);
    }
    expected = Deno.readFileSync(file);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "does not exist (run with --update to write it)"
      : `cannot be read: ${(error as Error).message}`;
    return failed(file, actual, `snapshot ${file} ${why}`);
  }
  // The same bytes pass without decoding: faster, and an image/png that is no PNG still matches
  // the snapshot --update wrote from it.
  if (sameBytes(expected, actual)) return passed(file);
  if (mime !== "image/png") return failed(file, actual, `${mime} differs from snapshot ${file}`);
  // Sizes from the headers first: no decoding for another size, nor for an image too big to decode.
  const [wantSize, gotSize] = [pngSize(expected), pngSize(actual)];
  if (wantSize && gotSize) {
    if (wantSize.width !== gotSize.width || wantSize.height !== gotSize.height) {
      return failed(
        file,
        actual,
        `the image is ${gotSize.width}x${gotSize.height}, snapshot ${file} is ` +
          `${wantSize.width}x${wantSize.height}`,
      );
    }
    if (gotSize.width * gotSize.height > MAX_COMPARED_PIXELS) {
      return failed(
        file,
        actual,
        `the image is ${gotSize.width}x${gotSize.height}, more than the ${MAX_COMPARED_PIXELS} ` +
          `pixels compared one by one, and its bytes differ from snapshot ${file}`,
      );
    }
  }
  let want: Rgba, got: Rgba;
  try {
    want = rgba(expected);
  } catch (error) {
    return failed(file, actual, `snapshot ${file} is not a PNG: ${(error as Error).message}`);
  }
  try {
    got = rgba(actual);
  } catch (error) {
    return failed(file, actual, `the image is not a PNG: ${(error as Error).message}`);
  }
  if (want.width !== got.width || want.height !== got.height) {
    return failed(
      file,
      actual,
      `the image is ${got.width}x${got.height}, snapshot ${file} is ${want.width}x${want.height}`,
    );
  }
  const diff = new Uint8Array(got.data.length);
  const count = pixelmatch(want.data, got.data, diff, got.width, got.height, { threshold: 0.1 });
  const share = count / (got.width * got.height);
  if (share <= tolerance) return passed(file);
  const verdict = failed(
    file,
    actual,
    `${count} of ${got.width * got.height} pixels (${(share * 100).toFixed(2)}%) differ from ` +
      `snapshot ${file}, more than the tolerance of ${(tolerance * 100).toFixed(2)}%`,
  );
  verdict.diffFile = snapshotSibling(file, "diff");
  writeFileAtomicSync(
    verdict.diffFile,
    encode({ width: got.width, height: got.height, data: diff, channels: 4, depth: 8 }),
  );
  return verdict;
}

/**
 * Writes `bytes` as the snapshot (for `--update`) and removes its stale actual and diff images. An
 * existing snapshot keeps its permissions (a read-only one stays read-only) and a symlinked one
 * its link (the file it points to is replaced).
 */
export function writeSnapshot(file: string, bytes: Uint8Array): void {
  Deno.mkdirSync(join(file, ".."), { recursive: true });
  let target = file;
  let mode: number | null = null;
  try {
    target = Deno.realPathSync(file);
    mode = Deno.statSync(target).mode;
  } catch {
    // a new snapshot
  }
  writeFileAtomicSync(target, bytes);
  if (mode !== null && Deno.build.os !== "windows") Deno.chmodSync(target, mode & 0o7777);
  removeSiblings(file);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A PNG decoded to 8-bit RGBA, whatever its colour type and depth. */
function rgba(bytes: Uint8Array): Rgba {
  const png = decode(bytes);
  const { width, height, channels, depth, palette } = png;
  const source = depth < 8 ? unpack(png.data, width, height, channels, depth, !palette) : png.data;
  const out = new Uint8Array(width * height * 4);
  const at = (i: number) => depth === 16 ? source[i] >> 8 : source[i];
  for (let p = 0; p < width * height; p++) {
    let r: number, g: number, b: number, a = 255;
    if (palette) {
      const entry = palette[source[p]] ?? [0, 0, 0];
      [r, g, b] = entry;
      if (entry.length > 3) a = entry[3] ?? 255;
    } else if (channels <= 2) {
      r = g = b = at(p * channels);
      if (channels === 2) a = at(p * 2 + 1);
    } else {
      r = at(p * channels);
      g = at(p * channels + 1);
      b = at(p * channels + 2);
      if (channels === 4) a = at(p * 4 + 3);
    }
    out.set([r, g, b, a], p * 4);
  }
  return { width, height, data: out };
}

/**
 * Samples of 1, 2 or 4 bits (packed, each row starting on a byte) as one byte each: palette
 * indexes as they are, grey levels scaled to 0-255.
 */
function unpack(
  packed: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  depth: number,
  scale: boolean,
): Uint8Array {
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const max = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < perRow; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)] ?? 0;
      const sample = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * perRow + x] = scale ? Math.round((sample * 255) / max) : sample;
    }
  }
  return out;
}

function passed(file: string): SnapshotVerdict {
  removeSiblings(file);
  return { ok: true, file };
}

function failed(file: string, actual: Uint8Array, reason: string): SnapshotVerdict {
  const actualFile = snapshotSibling(file, "actual");
  try {
    writeFileAtomicSync(actualFile, actual);
    return { ok: false, reason, file, actualFile };
  } catch {
    return { ok: false, reason, file }; // a missing directory: the failure stands without it
  }
}

function removeSiblings(file: string): void {
  for (const suffix of ["actual", "diff"] as const) {
    try {
      Deno.removeSync(snapshotSibling(file, suffix));
    } catch {
      // not there
    }
  }
}

/**
 * Copies the actual and diff images of `report`'s failed snapshots into `dir`, the directory of a
 * report file, so they travel with the report (a CI artifact). An image keeps its path relative to
 * the working directory (`plots/hist.actual.png`); one outside it goes by its name alone. An image
 * that is already there, or no longer exists, is left as it is.
 *
 * @returns the files written.
 */
export function copySnapshotImages(report: RunReport, dir: string): string[] {
  const written: string[] = [];
  for (const scenario of report.scenarios) {
    for (const step of scenario.steps) {
      for (const failure of step.failures) {
        const { actualFile, diffFile } = failure.snapshot ?? {};
        for (const image of [actualFile, diffFile]) {
          if (image === undefined) continue;
          const fromCwd = relative(Deno.cwd(), resolve(image));
          const name = fromCwd.startsWith("..") || isAbsolute(fromCwd) ? basename(image) : fromCwd;
          const target = join(dir, name);
          if (resolve(target) === resolve(image)) continue;
          try {
            Deno.mkdirSync(join(target, ".."), { recursive: true });
            writeFileAtomicSync(target, Deno.readFileSync(image));
            written.push(target);
          } catch {
            // the image went (a later run passed and removed it): the report names it still
          }
        }
      }
    }
  }
  return written;
}
