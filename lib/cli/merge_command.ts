/**
 * `pyrepl3 merge-junit OUT.xml IN.xml...`: merge the JUnit files of CI shards into one.
 *
 * ```sh
 * pyrepl3 scenarios/ --shard 1/2 --reporter junit:junit-1.xml   # on one machine
 * pyrepl3 scenarios/ --shard 2/2 --reporter junit:junit-2.xml   # on another
 * pyrepl3 merge-junit junit.xml junit-*.xml
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import { writeTextFileAtomic } from "../_atomic_write.ts";
import { mergeJunit } from "../report/junit_merge.ts";
import { TextFileError } from "../scenario/errors.ts";
import { readTextFileStrict } from "../scenario/read_text.ts";
import { type MergeJunitOptions, UsageError } from "./args.ts";
import type { CliIO } from "./io.ts";

/**
 * Reads the inputs, merges them and writes the output (stdout for `-`); returns exit code 0.
 *
 * @throws {UsageError} when an input cannot be read, or when the output is also an input (a
 * glob that swallowed the output's place); `JunitMergeError` when an input is not JUnit XML or
 * two inputs hold the same testcase. The CLI exits with 2 for both.
 */
export async function mergeJunitCommand(options: MergeJunitOptions, io: CliIO): Promise<number> {
  const { output, inputs } = options;
  if (output !== "-" && inputs.some((input) => resolve(input) === resolve(output))) {
    throw new UsageError(
      `merge-junit: the output ${output} is also an input; give the output file first ` +
        `(pyrepl3 merge-junit OUT.xml IN.xml...)`,
    );
  }
  const documents = await Promise.all(inputs.map(readInput));
  const xml = mergeJunit(documents, { names: inputs });
  if (output === "-") {
    io.stdout(xml);
  } else {
    await writeTextFileAtomic(output, xml, { mkdirs: true });
  }
  return 0;
}

async function readInput(file: string): Promise<string> {
  try {
    return await readTextFileStrict(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof TextFileError
      ? error.reason
      : (error as Error).message;
    throw new UsageError(`merge-junit: cannot read ${file}: ${reason}`, { cause: error });
  }
}
