/**
 * Colour functions for the text reporters, on or off as the caller decides.
 *
 * @module
 */

import pc from "npm:picocolors@1.1.1";

/** The colour functions of picocolors (`red`, `green`, `dim`, ...). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Colour functions that add ANSI codes when `enabled`, and return text unchanged otherwise. */
export function colorsFor(enabled: boolean): Colors {
  return pc.createColors(enabled);
}
