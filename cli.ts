/**
 * The `pyrepl3` command: run scenario files as regression tests, or record one.
 *
 * ```sh
 * deno run -A cli.ts scenarios/                    # run every scenario under scenarios/
 * deno run -A cli.ts record scenarios/new.yaml     # record one from a Python prompt
 * deno run -A cli.ts merge-junit out.xml junit-*.xml  # merge the JUnit files of CI shards
 * deno install -g -A -n pyrepl3 cli.ts             # install as `pyrepl3`
 * ```
 *
 * Exit codes: 0 every scenario passed, 1 a scenario failed, 2 bad usage, an invalid scenario
 * file, a wrong `--python` or an internal error, 130/143 stopped by SIGINT/SIGTERM (the reports
 * of what ran are written first). `pyrepl3 --help` lists the options.
 *
 * @module
 */

import { parseCommand } from "./lib/cli/args.ts";
import { describeError } from "./lib/cli/errors.ts";
import { HELP, VERSION } from "./lib/cli/help.ts";
import { type CliIO, processIO } from "./lib/cli/io.ts";
import { mergeJunitCommand, mergeReportsCommand } from "./lib/cli/merge_command.ts";
import { recordCommand } from "./lib/cli/record_command.ts";
import { runCommand } from "./lib/cli/run_command.ts";

export type { CliIO } from "./lib/cli/io.ts";

/** Runs the command line `args` and returns the exit code. */
export async function main(args: string[], io: CliIO = processIO()): Promise<number> {
  try {
    const command = parseCommand(args);
    switch (command.kind) {
      case "help":
        io.stdout(HELP);
        return 0;
      case "version":
        io.stdout(`pyrepl3 ${VERSION}\n`);
        return 0;
      case "run":
        return await runCommand(command.options, io);
      case "record":
        return await recordCommand(command.options, io);
      case "merge-junit":
        return await mergeJunitCommand(command.options, io);
      case "merge-reports":
        return await mergeReportsCommand(command.options, io);
    }
  } catch (error) {
    const { lines, exitCode } = describeError(error);
    io.stderr(lines.join("\n") + "\n");
    return exitCode;
  }
}

if (import.meta.main) {
  // Writes are synchronous (lib/cli/io.ts), so everything is flushed when main() returns.
  Deno.exit(await main(Deno.args));
}
