/**
 * What a code cell's saved outputs expect of its execution, as nbval compares them: the text of
 * its `stdout` and `stderr` streams, the `text/plain` of its `execute_result`, and the name of
 * its error (`ename`). Tracebacks, execution counts and output metadata are never compared.
 *
 * Tags change it: `raises-exception` expects an error (of the saved `ename`, when one is
 * saved); without it any error fails the cell, as in nbval; `nbval-ignore-output` runs the cell
 * and compares nothing but its status.
 *
 * @module
 */

import type { BundleExpectation, Expectation } from "../scenario/types.ts";
import { IMAGE_TYPES, savedImageSnapshot } from "./images.ts";
import type { NotebookOutput } from "./parse.ts";

/** The tags that change how a cell runs or is compared (nbval's names, and `skip`). */
export const CELL_TAGS = {
  /** The cell is not run. */
  skip: ["skip", "nbval-skip"],
  /** The cell must raise an exception. */
  raises: ["raises-exception", "nbval-raises-exception"],
  /** The cell runs, its outputs are not compared. */
  ignoreOutput: ["nbval-ignore-output"],
} as const;

/** True when `tags` holds one of `names`. */
export function hasTag(tags: readonly string[], names: readonly string[]): boolean {
  return tags.some((t) => names.includes(t));
}

/**
 * The expectation of a cell whose saved outputs are `outputs` and whose tags are `tags`.
 *
 * @example
 * ```ts
 * import { cellExpectation } from "./expect.ts";
 * const e = cellExpectation("print('hi')", [{ output_type: "stream", name: "stdout", text: "hi\n" }], []);
 * if (e.stdout !== "hi\n" || e.stderr !== "" || e.repr !== "") throw new Error("expect");
 * ```
 */
export function cellExpectation(
  source: string,
  outputs: readonly NotebookOutput[],
  tags: readonly string[],
  options: { images?: boolean } = {},
): Expectation {
  const raises = hasTag(tags, CELL_TAGS.raises);
  if (hasTag(tags, CELL_TAGS.ignoreOutput)) {
    return { hasValue: false, ...(raises ? { status: "error" as const } : {}) };
  }
  const stream = (name: string) =>
    outputs.map((o) => o.output_type === "stream" && o.name === name ? o.text : "").join("");
  const result = outputs.find((o) => o.output_type === "execute_result");
  const error = outputs.find((o) => o.output_type === "error");
  const plain = result && "data" in result ? result.data["text/plain"] : undefined;
  // Each display_data by its text/plain (and images when asked); their number must match too.
  const display = outputs.flatMap((o) =>
    o.output_type === "display_data" ? [bundleExpectation(o.data, options.images)] : []
  );
  const images = result && "data" in result && options.images ? imageExpectations(result.data) : {};
  return {
    display,
    ...(Object.keys(images).length > 0 ? { data: images } : {}),
    stdout: stream("stdout"),
    stderr: stream("stderr"),
    // No execute_result saved: the cell must show no value either (None shows none). A cell
    // ending in `;` shows none in Jupyter, while a session returns the value: not compared.
    ...(valueHidden(source) ? {} : { repr: typeof plain === "string" ? plain : "" }),
    hasValue: false,
    ...(raises ? { status: "error" as const } : {}),
    ...(raises && error && "ename" in error ? { error: { type: error.ename } } : {}),
  };
}

/**
 * True when the cell's last line ends with `;` (before any comment): IPython then shows no
 * `execute_result` for its value.
 *
 * @example
 * ```ts
 * import { valueHidden } from "./expect.ts";
 * if (!valueHidden("x = 1\nx;  # quiet\n") || valueHidden("x")) throw new Error("semicolon");
 * ```
 */
export function valueHidden(source: string): boolean {
  const lines = source.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  const last = lines.at(-1) ?? "";
  // A `#` inside a string is rare on a line that ends a cell; it only makes the value compared.
  return /;\s*(#.*)?$/.test(last);
}

/** A saved bundle's expectation: its `text/plain`, and its images when `images`. */
function bundleExpectation(data: Record<string, unknown>, images = false): BundleExpectation {
  const plain = data["text/plain"];
  return {
    ...(typeof plain === "string" ? { "text/plain": plain } : {}),
    ...(images ? imageExpectations(data) : {}),
  };
}

/** The images of a saved bundle as snapshot expectations (see `images.ts`). */
function imageExpectations(data: Record<string, unknown>): BundleExpectation {
  const out: BundleExpectation = {};
  for (const mime of IMAGE_TYPES) {
    const value = data[mime];
    if (typeof value === "string") out[mime] = savedImageSnapshot(mime, value);
  }
  return out;
}
