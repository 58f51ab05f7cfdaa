/**
 * Reading a text file the CLI was pointed at, safely: only a regular file (a FIFO or a device
 * would block the read forever), and only UTF-8 (anything else would be decoded into U+FFFD
 * silently and then compared, or written back, wrongly).
 *
 * @module
 */

import { TextFileError } from "./errors.ts";

/**
 * Reads `path` as UTF-8 text (a byte-order mark is dropped).
 *
 * @throws {TextFileError} when `path` is not a regular file (checked before it is opened) or
 * its bytes are not UTF-8 (with the line and column of the first bad byte); the file system's
 * error (`Deno.errors.NotFound`...) when it cannot be read at all.
 * @example
 * ```ts
 * import { readTextFileStrict } from "./read_text.ts";
 * const text = await readTextFileStrict("scenarios/greeting.yaml");
 * if (!text.includes("steps:")) throw new Error(text);
 * ```
 */
export async function readTextFileStrict(path: string): Promise<string> {
  const info = await Deno.stat(path);
  if (!info.isFile) {
    throw new TextFileError(path, `not a regular file (${kindOf(info)}); give a file's path`);
  }
  const bytes = await Deno.readFile(path);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const { line, column } = firstInvalidByte(bytes);
    throw new TextFileError(path, "not UTF-8 text; save the file as UTF-8", { line, column });
  }
}

/**
 * Why `readTextFileStrict()` failed, in a few words for a message: "no such file", "not UTF-8
 * text; ...", "not a regular file (a FIFO); ...", or the file system's message.
 */
export function unreadableReason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof TextFileError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "not a plain file";
}

/** Where decoding first fails: fed byte by byte, a streaming decoder throws at the bad byte. */
function firstInvalidByte(bytes: Uint8Array): { line: number; column: number } {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let text = "";
  try {
    for (let i = 0; i < bytes.length; i++) {
      text += decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    }
    decoder.decode();
  } catch {
    // `text` holds everything before the bad sequence.
  }
  const lines = text.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}
