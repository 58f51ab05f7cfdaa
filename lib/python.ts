/**
 * Finding the real interpreter binary behind a command like `python3`.
 *
 * On machines with pyenv, `python3` is a shell shim that costs ~300 ms per start; the binary behind it
 * (`sys.executable`) starts in a fraction of that. We ask once per command and spawn the binary afterwards.
 *
 * @module
 */
import { WorkerStartError } from "./errors.ts";

const resolved = new Map<string, Promise<string>>();

/** Returns the absolute path of the interpreter that `python` runs (cached per command and env PATH). */
export function resolvePython(python: string): Promise<string> {
  const key = `${python}\0${Deno.env.get("PATH") ?? ""}`;
  let found = resolved.get(key);
  if (!found) {
    found = askExecutable(python);
    resolved.set(key, found);
    found.catch(() => resolved.delete(key));
  }
  return found;
}

async function askExecutable(python: string): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(python, {
      args: ["-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (cause) {
    throw new WorkerStartError(
      `cannot run Python interpreter ${JSON.stringify(python)}: ${(cause as Error).message}; ` +
        "pass the `python` option (a name on PATH or a path)",
      { cause },
    );
  }
  const text = new TextDecoder().decode(output.stdout).trim().split("\n");
  if (!output.success || text.length < 2) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new WorkerStartError(
      `${
        JSON.stringify(python)
      } did not run as a Python interpreter (exit ${output.code}): ${stderr}`,
    );
  }
  const [major, minor] = text[1].split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new WorkerStartError(`${python} is Python ${text[1]}; PyREPL3 needs Python 3.9 or newer`);
  }
  return text[0] || python;
}
