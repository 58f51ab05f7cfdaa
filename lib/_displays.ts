/**
 * The rich outputs of one execution as they arrive: events for the caller, and the list its result
 * keeps (updates applied in place, `clear_output()` honoured).
 *
 * @module
 */
import type { ClearOutputMessage, DisplayMessage } from "./protocol.ts";
import type { DisplayOutput, ExecutionEvent } from "./results.ts";

/** Collects the displays of one execution. */
export class DisplayCollector {
  #outputs: DisplayOutput[] = [];
  /** `clear_output(wait=True)`: the list is cleared when the next output arrives. */
  #clearPending = false;

  /** Records a display frame and returns the event it becomes. */
  add(message: DisplayMessage | ClearOutputMessage): ExecutionEvent {
    if (message.t === "clear_output") {
      if (message.wait) this.#clearPending = true;
      else this.#outputs = [];
      return { type: "clear_output", wait: message.wait };
    }
    const { data, metadata, displayId: id } = message;
    if (message.update && id !== undefined) {
      for (const output of this.#outputs) {
        if (output.id === id) Object.assign(output, { data, metadata });
      }
      return { type: "display", data, metadata, id, update: true };
    }
    if (this.#clearPending) {
      this.#outputs = [];
      this.#clearPending = false;
    }
    this.#outputs.push(id === undefined ? { data, metadata } : { data, metadata, id });
    return id === undefined ? { type: "display", data, metadata } : {
      type: "display",
      data,
      metadata,
      id,
    };
  }

  /** The outputs so far, in the order they were shown. */
  list(): DisplayOutput[] {
    return this.#outputs.map((output) => ({ ...output }));
  }
}
