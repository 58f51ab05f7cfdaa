/**
 * Runs `cli.ts` as a subprocess, for the end-to-end CLI tests.
 *
 * @module
 */

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** Runs `deno run -A cli.ts ...args`, with `stdin` piped in when given. */
export async function runCli(
  args: string[],
  options: { stdin?: string; cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: options.cwd,
    // A CI variable of the machine running the tests would refuse --update: the tests set it themselves.
    env: { CI: "", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A fresh temporary directory holding `files` (name -> text). */
export async function tempScenarios(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3_cli_" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}
