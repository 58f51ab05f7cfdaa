/**
 * The documents a command line asks for (`--docs`, `--doctest-*`, `--nb-*`), as `loadScenarios()`
 * takes them; the run and watch commands load the same way.
 *
 * @module
 */

import type { LoadOptions } from "../scenario/select.ts";
import type { RunOptions } from "./args.ts";

/** The `LoadOptions` of a parsed command line. */
export function documentOptions(options: RunOptions): LoadOptions {
  return {
    docs: options.docs,
    doctestModules: options.doctestModules,
    doctestOptions: options.doctestOptions,
    python: options.python,
    sanitize: options.nbSanitize,
    images: options.nbImages,
  };
}
