/**
 * Launching a keeper process: its socket folder and listener, the spawn, the socket path sent on its
 * stdin, and its hello. What fails on the way is cleaned up here; what succeeds is handed to `Keeper`.
 *
 * @module
 */
import { encodeFrame, FrameReader, streamSource } from "./frames.ts";
import {
  decodeKeeperMessage,
  encodeMessage,
  type KeeperMessage,
  PROTOCOL_VERSION,
} from "./protocol.ts";
import { ProtocolVersionError, WorkerStartError } from "./errors.ts";
import { resolvePython } from "./python.ts";
import { bootCode } from "./_boot.ts";
import { type EnvironmentOptions, keeperEnvironment } from "./_environment.ts";
import { claimSocketDir, removeSocketDir } from "./_socket_dir.ts";
import { TailBuffer } from "./_tail_buffer.ts";
import { type Deadline, withinMs } from "./_timing.ts";

const STDERR_TAIL_BYTES = 16 * 1024;
/** After the keeper exits, how long to wait for stderr to close (a stray process may hold it open). */
export const STDERR_DRAIN_MS = 200;

/** The keeper's first message. */
export type KeeperHello = KeeperMessage & { t: "keeper_hello" };

/** What a launch needs: the interpreter, where it runs and its environment. */
export interface LaunchOptions extends EnvironmentOptions {
  /** The interpreter command or path. Default `python3`. */
  python?: string;
  /** Working directory of the keeper. */
  cwd?: string;
}

/** A keeper process that said hello, and the resources that now belong to whoever runs it. */
export interface LaunchedKeeper {
  /** The keeper process. */
  child: Deno.ChildProcess;
  /** The listener its interpreters connect to. */
  listener: Deno.Listener<Deno.UnixConn>;
  /** The private folder of that listener's socket, removed when the keeper is done. */
  socketDir: string;
  /** Control frames from the keeper's stdout, after its hello. */
  reader: FrameReader;
  /** The last bytes of the keeper's stderr. */
  stderrTail: TailBuffer;
  /** Settles when the keeper's stderr has closed. */
  stderrDone: Promise<void>;
  /** The keeper's hello. */
  hello: KeeperHello;
}

/** Spawns a keeper and reads its hello within `deadline`; on failure nothing of it is left. */
export async function launchKeeper(
  options: LaunchOptions,
  deadline: Deadline,
): Promise<LaunchedKeeper> {
  const executable = await resolvePython(options.python ?? "python3");
  const socketDir = await claimSocketDir();
  const socketPath = `${socketDir}/s`;
  const listener = Deno.listen({ transport: "unix", path: socketPath });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(executable, {
      args: ["-c", await bootCode()],
      cwd: options.cwd,
      ...keeperEnvironment(options),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (cause) {
    listener.close();
    await removeSocketDir(socketDir);
    throw new WorkerStartError(`cannot start ${executable}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const reader = new FrameReader(streamSource(child.stdout));
  const stderrTail = new TailBuffer(STDERR_TAIL_BYTES);
  const stderrDone = stderrTail.collect(child.stderr);
  try {
    const stdin = child.stdin.getWriter();
    await stdin.write(encodeFrame(encodeMessage({ t: "attach", socket: socketPath })));
    stdin.releaseLock();
    const hello = await readHello(reader, deadline, async () => {
      await child.status;
      await withinMs(stderrDone, STDERR_DRAIN_MS);
      return stderrTail.text().trim();
    });
    return { child, listener, socketDir, reader, stderrTail, stderrDone, hello };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await reader.cancel();
    listener.close();
    await removeSocketDir(socketDir);
    throw error;
  }
}

/** Reads the keeper's first frame, its hello; `stderr` gives the last words of one that exited first. */
async function readHello(
  reader: FrameReader,
  deadline: Deadline,
  stderr: () => Promise<string>,
): Promise<KeeperHello> {
  const first = await deadline.race(reader.next());
  if (first === null) {
    throw new WorkerStartError(
      `the Python worker exited before it started: ${(await stderr()) || "(no output)"}`,
    );
  }
  const hello = decodeKeeperMessage(first);
  if (hello.t !== "keeper_hello") {
    throw new WorkerStartError(`unexpected first message ${hello.t}`);
  }
  if (hello.protocol !== PROTOCOL_VERSION) {
    throw new ProtocolVersionError(PROTOCOL_VERSION, hello.protocol);
  }
  return hello;
}
