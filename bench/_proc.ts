/**
 * What bench/load.ts reads from /proc: process parents and start times, PSS, open fds, the open-file
 * limit. Linux only. Private to bench/ (never re-exported from mod.ts).
 *
 * @module
 */
import { tick } from "./_bench.ts";

const KiB = 1024;

/** A process as /proc/<pid>/stat tells it: its parent and its start time (pids are reused). */
export interface ProcessId {
  /** The process id. */
  pid: number;
  /** Its parent's pid. */
  ppid: number;
  /** Its start time in clock ticks after boot: with the pid, names one process for good. */
  startTime: string;
  /** True when it has exited and waits to be reaped. */
  zombie: boolean;
}

/** The process's stat fields that matter here; null when it is gone. */
export async function readStat(pid: number): Promise<ProcessId | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // The command name may hold spaces and parentheses: the fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(fields[1]), startTime: fields[19], zombie: fields[0] === "Z" };
  } catch {
    return null; // gone
  }
}

/** Every process under `root` (children, their children, ...), from one scan of /proc. */
export async function descendants(root: number): Promise<ProcessId[]> {
  const byParent = new Map<number, ProcessId[]>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await readStat(Number(entry.name));
    if (!stat) continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else byParent.set(stat.ppid, [stat]);
  }
  const found: ProcessId[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** The process's PSS in bytes, from /proc/<pid>/smaps_rollup; 0 when it is gone. */
export async function pss(pid: number): Promise<number> {
  try {
    const rollup = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`);
    return Number(rollup.match(/^Pss:\s+(\d+) kB$/m)?.[1] ?? 0) * KiB;
  } catch {
    return 0;
  }
}

/** The share (0..1) of all CPU time spent idle over the next `millis` ms, from /proc/stat. */
export async function cpuIdleShare(millis: number): Promise<number> {
  const read = async () => {
    const fields = (await Deno.readTextFile("/proc/stat")).split("\n")[0].trim().split(/\s+/)
      .slice(1).map(Number);
    return { idle: fields[3] + fields[4], total: fields.reduce((a, b) => a + b, 0) };
  };
  const before = await read();
  await tick(millis);
  const after = await read();
  return (after.idle - before.idle) / Math.max(1, after.total - before.total);
}

/** How many fds the Deno process has open now. */
export function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/**
 * Says how to raise the open-file limit when it is below `needed`, else null. Deno raises its soft limit
 * to the hard one when it starts, so only the hard limit (`ulimit -n` in the shell) can be too low.
 */
export async function fdLimitAdvice(needed: number): Promise<string | null> {
  const limits = await Deno.readTextFile("/proc/self/limits");
  const soft = limits.match(/^Max open files\s+(\S+)/m)?.[1] ?? "unlimited";
  if (soft === "unlimited" || Number(soft) >= needed) return null;
  return `this benchmark holds one unix socket per session in Deno and needs ${needed} open files, ` +
    `but the limit is ${soft}: run \`ulimit -n ${Math.max(4096, needed)}\` in the shell first`;
}

/** The processes of `known` still running (not zombies) after waiting up to `withinMs` for them to end. */
export async function processesLeft(known: ProcessId[], withinMs: number): Promise<ProcessId[]> {
  const deadline = performance.now() + withinMs;
  let left = known;
  do {
    const now = await Promise.all(left.map((p) => readStat(p.pid)));
    left = left.filter((p, i) => {
      const stat = now[i];
      return stat !== null && stat.startTime === p.startTime && !stat.zombie;
    });
    if (left.length > 0) await tick(50);
  } while (left.length > 0 && performance.now() < deadline);
  return left;
}
