import { equal, match, ok } from "node:assert/strict";
import { tempScenarios } from "./_helpers/cli.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** A `--watch` CLI process whose stdout is read as it comes. */
function startWatch(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--watch", ...args],
    env: { CI: "", NO_COLOR: "1", FORCE_COLOR: "0" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let consumed = 0;
  return {
    child,
    /** Waits until stdout, after what earlier waits consumed, matches `pattern`; returns it. */
    async waitFor(pattern: RegExp): Promise<string> {
      while (!pattern.test(seen.slice(consumed))) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no ${pattern} in 30 s:\n${seen}`)), 30_000);
        });
        const { value, done } = await Promise.race([reader.read(), late]).finally(() =>
          clearTimeout(timer)
        );
        if (done) throw new Error(`stdout ended before ${pattern}:\n${seen}`);
        seen += value;
      }
      const rest = seen.slice(consumed);
      const m = pattern.exec(rest)!;
      consumed += m.index + m[0].length;
      return rest.slice(0, m.index + m[0].length);
    },
    async press(key: string): Promise<void> {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(key));
      writer.releaseLock();
    },
    /** Closes stdin and waits for the exit; a watcher still running after 10 s is killed. */
    async close() {
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await reader.cancel();
      await child.stdin.close().catch(() => {});
      const stderr = await new Response(child.stderr).text();
      const status = await child.status;
      clearTimeout(killer);
      return { status, stderr };
    },
  };
}

const SCENARIO = (expected: number) =>
  `name: helper value\nsteps:\n  - exec: "import helper; helper.X"\n    expect: { value: ${expected} }\n`;
const OTHER = `name: other\nsteps:\n  - exec: "1 + 1"\n    expect: { value: 2 }\n`;

Deno.test("--watch re-runs when a Python file or a scenario changes, failed first, and q quits with 0", async () => {
  const dir = await tempScenarios({
    "a.yaml": SCENARIO(1),
    "b.yaml": OTHER,
    "helper.py": "X = 1\n",
  });
  const watch = startWatch([dir]);
  try {
    match(await watch.waitFor(/Watching for changes/), /2 scenarios: 2 passed, 0 failed/);
    await Deno.writeTextFile(`${dir}/helper.py`, "X = 2\n");
    const second = await watch.waitFor(/Watching for changes/);
    match(second, /2 scenarios: 1 passed, 1 failed/);
    await Deno.writeTextFile(`${dir}/b.yaml`, OTHER.replace("name: other", "name: other edited"));
    const third = await watch.waitFor(/Watching for changes/);
    // The failed scenario runs first, then the changed one.
    ok(third.indexOf("helper value") < third.indexOf("other edited"), third);
    match(third, /2 scenarios: 1 passed, 1 failed/);
    await watch.press("f");
    match(await watch.waitFor(/Watching for changes/), /1 scenario: 0 passed, 1 failed/);
    await watch.press("q");
  } finally {
    const { status, stderr } = await watch.close();
    equal(status.code, 0, stderr);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch stops on SIGINT with exit code 130", async () => {
  const dir = await tempScenarios({ "b.yaml": OTHER });
  const watch = startWatch([dir]);
  try {
    await watch.waitFor(/Watching for changes/);
    watch.child.kill("SIGINT");
  } finally {
    const { status, stderr } = await watch.close();
    equal(status.code, 130, stderr);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch re-runs a Markdown document when it changes", async () => {
  const doc = (want: number) => "# Doc\n\n```pycon\n>>> 1 + 1\n" + want + "\n```\n";
  const dir = await tempScenarios({ "doc.md": doc(2) });
  const watch = startWatch([`${dir}/doc.md`]);
  try {
    match(await watch.waitFor(/Watching for changes/), /1 passed, 0 failed/);
    await Deno.writeTextFile(`${dir}/doc.md`, doc(3));
    match(await watch.waitFor(/Watching for changes/), /0 passed, 1 failed/);
    await watch.press("q");
  } finally {
    const { status, stderr } = await watch.close();
    equal(status.code, 0, stderr);
    await Deno.remove(dir, { recursive: true });
  }
});
