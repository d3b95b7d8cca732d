// CPU seconds (user + system) that each process of a phase consumed, read from /proc. On a
// shared two-core machine wall-clock times carry other people's load; CPU seconds of the
// apiserver, etcd and the client under test do not, so they show where the work went.
import { readdir, readFile } from "node:fs/promises";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export type CpuSnapshot = Record<string, number>;

/** utime + stime of one process, in seconds; 0 if it is gone. */
export async function cpuSecondsOf(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The control plane's processes: those whose command line mentions its temp dir. */
async function controlPlanePids(tempDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes(tempDir)) continue;
    const binary = cmdline.split("\0")[0]!.split("/").at(-1)!;
    for (const name of ["etcd", "kube-apiserver", "kube-controller-manager"]) {
      if (binary === name) out.set(name, Number(entry));
    }
  }
  return out;
}

/** CPU seconds so far of the control plane's processes and of the named extra processes. */
export async function cpuSnapshot(tempDir: string, extra: Record<string, number> = {}): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = {};
  for (const [name, pid] of await controlPlanePids(tempDir)) snapshot[name] = await cpuSecondsOf(pid);
  for (const [name, pid] of Object.entries(extra)) snapshot[name] = await cpuSecondsOf(pid);
  const self = process.cpuUsage();
  snapshot.bench = (self.user + self.system) / 1e6;
  return snapshot;
}

/** after - before, per process, rounded to 0.1 s; `total` sums the ones named in `count`. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot, count: string[]): CpuSnapshot {
  const delta: CpuSnapshot = {};
  for (const name of Object.keys(after)) delta[name] = Math.round(((after[name] ?? 0) - (before[name] ?? 0)) * 10) / 10;
  delta.total = Math.round(count.reduce((sum, name) => sum + (delta[name] ?? 0), 0) * 10) / 10;
  return delta;
}
