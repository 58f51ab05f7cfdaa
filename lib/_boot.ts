/**
 * The `python -c` code that starts the keeper: it runs runner/boot.py by path, with globals of its
 * own so that `__main__` stays empty for the user.
 *
 * @module
 */
import { runnerBootPath } from "./runner_files.ts";

/** The bootstrap code for `python -c`. */
export async function bootCode(): Promise<string> {
  const path = JSON.stringify(await runnerBootPath());
  return `exec(compile(open(${path}).read(), ${path}, "exec"), ` +
    `{"__name__": "_pyrepl3_boot", "__file__": ${path}})`;
}
