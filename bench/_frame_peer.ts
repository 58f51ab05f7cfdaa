/**
 * The Deno side of the floor peer (bench/_frame_peer.py): a bare Python loop spoken to with the same frame
 * code our sessions use, over the child's stdin/stdout pipes or over a unix socket it connects to.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { encodeFrame, FrameReader, streamSource } from "../lib/frames.ts";

const PEER_PATH = fileURLToPath(new URL("./_frame_peer.py", import.meta.url));

/** How the peer's frames travel. */
export type PeerTransport = "pipe" | "unix";

/** A running floor peer. */
export class FramePeer implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #reader: FrameReader;
  readonly #write: (frame: Uint8Array) => Promise<void>;
  readonly #cleanup: () => Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    reader: FrameReader,
    write: (frame: Uint8Array) => Promise<void>,
    cleanup: () => Promise<void>,
  ) {
    this.#child = child;
    this.#reader = reader;
    this.#write = write;
    this.#cleanup = cleanup;
  }

  /** Spawns `executable bench/_frame_peer.py` speaking over `transport`. */
  static async start(executable: string, transport: PeerTransport): Promise<FramePeer> {
    if (transport === "pipe") {
      const child = new Deno.Command(executable, {
        args: [PEER_PATH, "pipe"],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const writer = child.stdin.getWriter();
      const reader = new FrameReader(streamSource(child.stdout));
      return new FramePeer(child, reader, (frame) => writer.write(frame), async () => {
        await writer.close().catch(() => {});
        await reader.cancel();
      });
    }
    const dir = await Deno.makeTempDir({ prefix: "pyrepl3-bench-" });
    const path = `${dir}/s`;
    const listener = Deno.listen({ transport: "unix", path });
    const child = new Deno.Command(executable, {
      args: [PEER_PATH, "unix", path],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const conn = await listener.accept();
    listener.close();
    const reader = new FrameReader(conn);
    const write = async (frame: Uint8Array) => {
      let written = 0;
      while (written < frame.length) written += await conn.write(frame.subarray(written));
    };
    return new FramePeer(child, reader, write, async () => {
      try {
        conn.close();
      } catch {
        // already closed
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    });
  }

  /** Sends `payload` as one frame and returns the payload of the answer. */
  async request(payload: Uint8Array): Promise<Uint8Array> {
    await this.#write(encodeFrame(payload));
    const answer = await this.#reader.next();
    if (answer === null) throw new Error("the floor peer closed its stream");
    return answer;
  }

  /** Asks the peer for a frame of `size` bytes (Python -> Deno). */
  receive(size: number): Promise<Uint8Array> {
    const payload = new Uint8Array(13);
    payload.set(new TextEncoder().encode("\0SEND"));
    new DataView(payload.buffer).setBigUint64(5, BigInt(size));
    return this.request(payload);
  }

  /** Sends `data` to the peer, which keeps it in memory and acknowledges (Deno -> Python). */
  async send(data: Uint8Array): Promise<void> {
    // Header and marker first, then the data itself: the floor copies nothing.
    const head = new Uint8Array(9);
    new DataView(head.buffer).setUint32(0, 5 + data.length);
    head.set(new TextEncoder().encode("\0SINK"), 4);
    await this.#write(head);
    await this.#write(data);
    if ((await this.#reader.next()) === null) throw new Error("the floor peer closed its stream");
  }

  /** Ends the peer and waits for it to exit. */
  async close(): Promise<void> {
    await this.#cleanup();
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.#child.status;
  }

  /** Closes the peer (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
