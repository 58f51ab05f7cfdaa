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

/** `--color`: `auto` colours a terminal only; `always` and `never` decide alone. */
export type ColorChoice = "auto" | "always" | "never";

/** What decides `auto`. */
export interface ColorContext {
  /** The output is a terminal. */
  isTerminal: boolean;
  /** `NO_COLOR`: set and not empty turns colours off (https://no-color.org). */
  noColor?: string;
  /** `FORCE_COLOR`: set turns colours on, even off a terminal and over `NO_COLOR`; `0`/`false` off. */
  forceColor?: string;
}

/**
 * Whether to colour: `--color always|never` wins; then `FORCE_COLOR` (as Node and chalk read it);
 * then `NO_COLOR`; then whether the output is a terminal.
 *
 * @example
 * ```ts
 * import { shouldColor } from "./_colors.ts";
 * if (!shouldColor("auto", { isTerminal: false, forceColor: "1" })) throw new Error("forced");
 * if (shouldColor("auto", { isTerminal: true, noColor: "1" })) throw new Error("NO_COLOR");
 * ```
 */
export function shouldColor(choice: ColorChoice, context: ColorContext): boolean {
  if (choice !== "auto") return choice === "always";
  if (context.forceColor !== undefined) {
    return !["0", "false"].includes(context.forceColor.trim().toLowerCase());
  }
  if ((context.noColor ?? "") !== "") return false;
  return context.isTerminal;
}
