/**
 * The terminal as the CLI commands see it: synchronous writers and what the terminal can do.
 * Tests pass their own to capture output.
 *
 * @module
 */

/** Where a command writes and what it knows of its terminal. */
export interface CliIO {
  /** Writes to stdout, in order, before returning. */
  stdout(text: string): void;
  /** Writes to stderr, in order, before returning. */
  stderr(text: string): void;
  /** True when stdout is a terminal (progress lines, colours). */
  isTerminal: boolean;
  /** True when colours are allowed at all: NO_COLOR is unset or empty. */
  colorAllowed: boolean;
  /** The terminal's width in columns, when known. */
  columns?: number;
}

/** The process's real stdout and stderr, with NO_COLOR and TTY detection. */
export function processIO(): CliIO {
  const isTerminal = Deno.stdout.isTerminal();
  let columns: number | undefined;
  try {
    columns = isTerminal ? Deno.consoleSize().columns : undefined;
  } catch {
    columns = undefined; // not a console after all (e.g. a pty without a size)
  }
  return {
    stdout: closableWriter(Deno.stdout),
    stderr: closableWriter(Deno.stderr),
    isTerminal,
    // https://no-color.org: "when present and not an empty string".
    colorAllowed: (Deno.env.get("NO_COLOR") ?? "") === "",
    columns,
  };
}

const encoder = new TextEncoder();

/**
 * A writer that goes quiet once its reader has gone (`pyrepl3 scenarios/ | head`): the run goes
 * on, its report files are written and its exit code is the verdict's, instead of failing with
 * BrokenPipe at the first line no one reads.
 */
function closableWriter(target: { writeSync(p: Uint8Array): number }): (text: string) => void {
  let closed = false;
  return (text) => {
    if (closed) return;
    try {
      writeAll(target, text);
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      closed = true;
    }
  };
}

function writeAll(target: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(target.writeSync(bytes));
}
