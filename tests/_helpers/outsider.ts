/**
 * Fixtures for using PyREPL3 as someone outside this repository does: a temporary project of their
 * own, a Deno run in it, the repository served over http, and a Deno cache that keeps what those
 * runs download out of the developer's own.
 *
 * @module
 */

/** The repository root, as a path. */
export const REPO_ROOT: string = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** What a Deno subprocess printed and how it exited. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh temporary directory holding `files` (relative path -> text). The caller removes it. */
export async function tempProject(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3-outsider-" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

/** Runs `command` (`deno` is this Deno) with `args` in `cwd`; `deno` is on the PATH it sees. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<DenoRun> {
  const denoDir = Deno.execPath().slice(0, Deno.execPath().lastIndexOf("/"));
  const { code, stdout, stderr } = await new Deno.Command(
    command === "deno" ? Deno.execPath() : command,
    {
      args,
      cwd: options.cwd,
      env: { PATH: `${denoDir}:${Deno.env.get("PATH") ?? ""}`, NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/**
 * A temporary DENO_DIR that shares only the npm package cache with the developer's: modules fetched
 * over http (a new port every run) land in it and go when the caller removes it, and npm packages
 * already downloaded are not fetched again.
 */
export async function isolatedDenoDir(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(stdout)) as { npmCache: string };
  const dir = await Deno.makeTempDir({ prefix: "pyrepl3-deno-dir-" });
  await Deno.mkdir(npmCache, { recursive: true });
  await Deno.symlink(npmCache, `${dir}/npm`);
  return dir;
}

const CONTENT_TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  json: "application/json; charset=utf-8",
};

/** A static file server for `root` on 127.0.0.1, on a free port; close it with `shutdown()`. */
export function serveDirectory(root: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (path.split("/").includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(`${root}${path}`);
      const type = CONTENT_TYPES[path.slice(path.lastIndexOf(".") + 1)] ?? "text/plain";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}
