/**
 * One stream's collected text, capped, with a marker that counts what was dropped.
 *
 * @module
 */

/** The text appended to a stream that went over the output cap. */
export function truncationMarker(omitted: number): string {
  return `\n[pyrepl3: output truncated, ${omitted} more characters were not kept]\n`;
}

/** Collects one stream's text up to a cap, counting what it drops. */
export class CappedText {
  #parts: string[] = [];
  #kept = 0;
  #omitted = 0;

  /** Keeps at most `limit` characters. */
  constructor(readonly limit: number) {}

  /** Adds a chunk, keeping what fits under the cap. */
  append(data: string): void {
    const room = this.limit - this.#kept;
    if (room >= data.length) {
      this.#parts.push(data);
      this.#kept += data.length;
    } else {
      if (room > 0) this.#parts.push(data.slice(0, room));
      this.#kept += Math.max(room, 0);
      this.#omitted += data.length - Math.max(room, 0);
    }
  }

  /** The kept text, with a truncation marker when something was dropped. */
  text(): string {
    const text = this.#parts.join("");
    return this.#omitted > 0 ? text + truncationMarker(this.#omitted) : text;
  }
}
