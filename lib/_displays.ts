/**
 * The rich outputs of one execution as they arrive: events for the caller, and the list its result
 * keeps (updates applied in place, `clear_output()` honoured), within a byte budget.
 *
 * @module
 */
import { truncationMarker } from "./_capped_text.ts";
import type { ClearOutputMessage, DisplayMessage } from "./protocol.ts";
import type { DisplayOutput, ExecutionEvent, MimeBundle } from "./results.ts";

/** The size a MIME value counts for: characters of text, bytes of binary, JSON text of a value. */
export function mimeValueSize(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  try {
    return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? String(v) : v)?.length ?? 0;
  } catch {
    return 0; // a Map or another shape JSON cannot write: small, as the worker built it
  }
}

/**
 * `data` within `room` (characters/bytes): text values that do not fit are cut with a truncation
 * marker, other values are left out; `omitted` maps each cut or dropped MIME type to the size
 * not kept.
 */
export function capBundle(
  data: MimeBundle,
  room: number,
): { data: MimeBundle; size: number; omitted?: Record<string, number> } {
  const kept: MimeBundle = {};
  const omitted: Record<string, number> = {};
  let size = 0;
  for (const [mime, value] of Object.entries(data)) {
    const length = mimeValueSize(value);
    if (size + length <= room) {
      kept[mime] = value;
      size += length;
    } else if (typeof value === "string") {
      const fits = Math.max(room - size, 0);
      kept[mime] = value.slice(0, fits) + truncationMarker(length - fits);
      size += fits;
      omitted[mime] = length - fits;
    } else {
      omitted[mime] = length;
    }
  }
  return Object.keys(omitted).length > 0 ? { data: kept, size, omitted } : { data: kept, size };
}

/** The event a display or clear_output frame becomes (`background` when shown between executions). */
export function displayEvent(
  message: DisplayMessage | ClearOutputMessage,
  background = false,
): Extract<ExecutionEvent, { type: "display" | "clear_output" }> {
  const mark = background ? { background: true as const } : {};
  if (message.t === "clear_output") return { type: "clear_output", wait: message.wait, ...mark };
  const { data, metadata, displayId: id } = message;
  return {
    type: "display",
    data,
    metadata,
    ...(id !== undefined ? { id } : {}),
    ...(message.update && id !== undefined ? { update: true as const } : {}),
    ...mark,
  };
}

/** Collects the displays of one execution, keeping at most `budget` characters/bytes of data. */
export class DisplayCollector {
  #outputs: (DisplayOutput & { size: number })[] = [];
  #size = 0;
  /** `clear_output(wait=True)`: the list is cleared when the next output arrives. */
  #clearPending = false;

  /** `budget`: the data all kept outputs may hold together (the session's `maxOutputChars`). */
  constructor(readonly budget: number = Infinity) {}

  /**
   * Records a display frame and returns the event it becomes (events are never capped);
   * `background`: it was shown while no execution ran.
   */
  add(message: DisplayMessage | ClearOutputMessage, background = false): ExecutionEvent {
    const event = displayEvent(message, background);
    if (message.t === "clear_output") {
      if (message.wait) this.#clearPending = true;
      else this.#clear();
      return event;
    }
    const { data, metadata, displayId: id } = message;
    if (message.update && id !== undefined) {
      for (const output of this.#outputs) {
        if (output.id === id) {
          this.#size -= output.size;
          delete output.omitted;
          Object.assign(output, this.#keep(data, metadata));
        }
      }
      return event;
    }
    if (this.#clearPending) this.#clear();
    const kept = this.#keep(data, metadata);
    this.#outputs.push({
      ...kept,
      ...(id !== undefined ? { id } : {}),
      ...(background ? { background: true as const } : {}),
    });
    return event;
  }

  /** The outputs so far, in the order they were shown. */
  list(): DisplayOutput[] {
    return this.#outputs.map(({ size: _size, ...output }) => output);
  }

  /** The data and metadata kept within the budget; metadata over it is `{}`, its size in `omitted`. */
  #keep(data: MimeBundle, metadata: Record<string, unknown>): DisplayOutput & { size: number } {
    const room = this.budget - this.#size;
    const bundle = capBundle(data, room);
    const length = Object.keys(metadata).length === 0 ? 0 : mimeValueSize(metadata);
    const fits = bundle.size + length <= room;
    const omitted = fits ? bundle.omitted : { ...bundle.omitted, metadata: length };
    const size = bundle.size + (fits ? length : 0);
    this.#size += size;
    return {
      data: bundle.data,
      metadata: fits ? metadata : {},
      size,
      ...(omitted ? { omitted } : {}),
    };
  }

  #clear(): void {
    this.#outputs = [];
    this.#size = 0;
    this.#clearPending = false;
  }
}
