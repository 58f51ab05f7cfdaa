/**
 * MIME bundles in reports: how each type travels (binary, text, JSON), a one-line summary such as
 * `[image/png 640x480]`, and the JSON form (binary data as base64).
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** How the data of a MIME type is held: bytes, a string, or a plain value (runner/display.py's rule). */
export type MimeKind = "binary" | "text" | "json";

/** The kind of `mime`: JSON for `application/json` and `*+json`, text for `text/*`, `*+xml`... */
export function mimeKind(mime: string): MimeKind {
  if (mime === "application/json" || mime.endsWith("+json")) return "json";
  if (
    mime.startsWith("text/") || mime.endsWith("+xml") || mime === "application/javascript" ||
    mime === "application/xml"
  ) return "text";
  return "binary";
}

/** Width and height from a PNG's header, or undefined when `bytes` is not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * One MIME type's data in a line: `[image/png 640x480]`, `[image/jpeg 12345 bytes]`,
 * `[text/html 1200 chars]`.
 *
 * @example
 * ```ts
 * import { mimeSummary } from "./_bundle.ts";
 * if (mimeSummary("text/html", "<b>hi</b>") !== "[text/html 9 chars]") throw new Error();
 * ```
 */
export function mimeSummary(mime: string, data: unknown): string {
  if (data instanceof Uint8Array) {
    const size = mime === "image/png" ? pngSize(data) : undefined;
    return size ? `[${mime} ${size.width}x${size.height}]` : `[${mime} ${data.length} bytes]`;
  }
  if (typeof data === "string") return `[${mime} ${data.length} chars]`;
  return `[${mime}]`;
}

/** A bundle in a line: its types' summaries, `text/plain` shown as its (cut) text. */
export function bundleSummary(bundle: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [mime, data] of Object.entries(bundle)) {
    if (mime === "text/plain" && typeof data === "string") {
      parts.push(data.length > 60 ? `${data.slice(0, 59)}…` : data);
    } else parts.push(mimeSummary(mime, data));
  }
  return parts.join(" ");
}

/** The bundle as JSON can hold it: binary data (`Uint8Array`) as base64 strings. */
export function bundleToJson(bundle: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [mime, data] of Object.entries(bundle)) {
    out[mime] = data instanceof Uint8Array ? Buffer.from(data).toString("base64") : data;
  }
  return out;
}
