/**
 * What wakes `--watch`: file changes (debounced, so an editor's save of several files is one
 * re-run), keys (`q`, `a`, `f`; raw stdin when it is a terminal) and SIGINT.
 *
 * @module
 */

import { extname, resolve } from "node:path";

/** Why the watch loop wakes. */
export type Trigger =
  | { kind: "change"; paths: Set<string> }
  | { kind: "all" }
  | { kind: "failed" }
  | { kind: "quit"; exitCode: number };

/** Files whose change re-runs: scenario files, config files, Python sources and documents. */
const WATCHED_EXTENSIONS = new Set([
  ".yaml",
  ".yml",
  ".json",
  ".py",
  ".md",
  ".rst",
  ".txt",
  ".ipynb",
]);

/** How long the files must be quiet before a change re-runs, in milliseconds. */
const DEBOUNCE_MS = 150;

/** Merges file events, keys and SIGINT into one queue of triggers. */
export class WatchTriggers implements Disposable {
  #queue: Trigger[] = [];
  #wake: (() => void) | undefined;
  #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watcher: Deno.FsWatcher | undefined;
  #ignored: Set<string>;
  #onSigint = () => this.#push({ kind: "quit", exitCode: 130 });
  #rawMode = false;
  #closed = false;

  /** Starts watching `directories` (recursively), ignoring the files in `ignored` (reports). */
  constructor(directories: string[], ignored: string[] = []) {
    this.#ignored = new Set(ignored.map((p) => resolve(p)));
    this.#watcher = Deno.watchFs(directories, { recursive: true });
    this.#readEvents(this.#watcher);
    Deno.addSignalListener("SIGINT", this.#onSigint);
    this.#readKeys();
  }

  /** The next trigger; pending changes are merged into one. */
  async next(): Promise<Trigger> {
    while (this.#queue.length === 0) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const quit = this.#queue.find((t) => t.kind === "quit");
    if (quit) return quit;
    const first = this.#queue.shift()!;
    if (first.kind !== "change") return first;
    // Changes queued behind it join it: one re-run for all of them.
    for (const t of this.#queue.filter((t) => t.kind === "change")) {
      for (const p of (t as { paths: Set<string> }).paths) first.paths.add(p);
    }
    this.#queue = this.#queue.filter((t) => t.kind !== "change");
    return first;
  }

  /** True when a quit is waiting (checked while a run goes, to stop it). */
  get quitRequested(): boolean {
    return this.#queue.some((t) => t.kind === "quit");
  }

  /** Called when a quit arrives, to stop the run in progress. */
  onQuit: () => void = () => {};

  #push(trigger: Trigger): void {
    this.#queue.push(trigger);
    if (trigger.kind === "quit") this.onQuit();
    this.#wake?.();
    this.#wake = undefined;
  }

  async #readEvents(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) {
        if (event.kind === "access") continue;
        for (const path of event.paths) {
          if (!WATCHED_EXTENSIONS.has(extname(path)) || this.#ignored.has(resolve(path))) continue;
          this.#pending.add(resolve(path));
        }
        if (this.#pending.size === 0) continue;
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
          const paths = this.#pending;
          this.#pending = new Set();
          this.#push({ kind: "change", paths });
        }, DEBOUNCE_MS);
      }
    } catch {
      // The watcher was closed.
    }
  }

  async #readKeys(): Promise<void> {
    if (Deno.stdin.isTerminal()) {
      Deno.stdin.setRaw(true, { cbreak: true });
      this.#rawMode = true;
    }
    const buffer = new Uint8Array(64);
    try {
      while (!this.#closed) {
        const n = await Deno.stdin.read(buffer);
        if (n === null) return; // stdin ended: keys are over, watching goes on
        for (const byte of buffer.subarray(0, n)) {
          const key = String.fromCharCode(byte);
          if (key === "q" || byte === 3) {
            this.#push({ kind: "quit", exitCode: byte === 3 ? 130 : 0 });
          } else if (key === "a") this.#push({ kind: "all" });
          else if (key === "f") this.#push({ kind: "failed" });
        }
      }
    } catch {
      // stdin is closed or not readable: no keys.
    }
  }

  /** Stops watching, restores the terminal and removes the SIGINT listener. */
  [Symbol.dispose](): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    Deno.removeSignalListener("SIGINT", this.#onSigint);
    if (this.#rawMode) Deno.stdin.setRaw(false);
  }
}
