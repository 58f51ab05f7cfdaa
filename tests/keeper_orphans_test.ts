/**
 * No Python process outlives Deno: Deno is killed (SIGKILL, SIGTERM, SIGINT) while sessions run busy cells
 * and after user code moved processes out of the session's process group; within 3 s nothing of that run is
 * left. The run is a separate Deno process (tests/_helpers/busy_sessions.ts); its processes are found by a
 * unique marker in their environment, which every process it starts inherits.
 */
import { ok } from "node:assert/strict";
import { TEST_PYTHON, waitFor } from "./_helpers/session.ts";

const SCRIPT = new URL("./_helpers/busy_sessions.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const MARK_NAME = "PYREPL3_ORPHAN_TEST_MARK";

/** The pids (and command lines) of running processes whose environment holds `mark`. */
function processesMarked(mark: string): string[] {
  const needle = new TextEncoder().encode(`${MARK_NAME}=${mark}\0`);
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue; // a zombie runs nothing
      const environ = Deno.readFileSync(`/proc/${entry.name}/environ`);
      if (!contains(environ, needle)) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      found.push(`${entry.name} ${cmdline.slice(0, 80)}`);
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Reads a stream to its end; `seen` settles with the text so far once it holds `text` (or at the end). */
function readUntil(
  stream: ReadableStream<Uint8Array>,
  text: string,
): { seen: Promise<string>; all: Promise<string> } {
  let resolveSeen: (value: string) => void = () => {};
  const seen = new Promise<string>((resolve) => resolveSeen = resolve);
  const all = (async () => {
    let read = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      read += chunk;
      if (read.includes(text)) resolveSeen(read);
    }
    resolveSeen(read);
    return read;
  })();
  return { seen, all };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

for (const signal of ["SIGKILL", "SIGTERM", "SIGINT"] as const) {
  Deno.test(`no process of a run outlives Deno killed by ${signal} with busy cells`, async () => {
    const mark = crypto.randomUUID();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", CONFIG, SCRIPT],
      env: { [MARK_NAME]: mark, PYREPL3_TEST_PYTHON: TEST_PYTHON },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const stdout = readUntil(child.stdout, "ready\n");
    try {
      if (!(await stdout.seen).includes("ready\n")) {
        throw new Error(`the run did not get ready: ${await stderr}`);
      }
      const running = processesMarked(mark);
      ok(running.some((line) => line.includes("sleep 1000")), running.join("\n"));
      ok(running.some((line) => line.includes("sleep 1001")), running.join("\n"));
      child.kill(signal);
      await child.status;
      const gone = await waitFor(() => processesMarked(mark).length === 0, 3000);
      ok(gone, `left running after Deno died:\n${processesMarked(mark).join("\n")}`);
    } finally {
      for (const line of processesMarked(mark)) {
        try {
          Deno.kill(Number(line.split(" ")[0]), "SIGKILL");
        } catch {
          // already gone
        }
      }
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await stderr;
      await stdout.all;
    }
  });
}
