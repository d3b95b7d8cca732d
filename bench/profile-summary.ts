// Summarises a V8 .cpuprofile (node --cpu-prof): where the self time goes, by function and
// by file, plus the inclusive time of the operator's own functions.
//   npx tsx bench/profile-summary.ts .bench/profiles/<file>.cpuprofile [top]
import { readFile } from "node:fs/promises";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  bySelf: Array<{ name: string; ms: number; share: number }>;
  byFile: Array<{ name: string; ms: number; share: number }>;
  inclusive: Array<{ name: string; ms: number; share: number }>;
}

const shortUrl = (url: string) => {
  if (!url) return "(native)";
  const clean = url.replace(/^file:\/\//, "");
  const nm = clean.lastIndexOf("node_modules/");
  if (nm >= 0) return clean.slice(nm + "node_modules/".length);
  const dist = clean.indexOf("/dist/");
  if (dist >= 0) return clean.slice(dist + 1);
  return path.relative(process.cwd(), clean);
};

export function summarise(profile: Profile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // Self time per node from samples and time deltas (more exact than hitCount * interval).
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fn = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const file = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === "(idle)") idle += us;
    if (name === "(garbage collector)") gc += us;
    self.set(fn(node), (self.get(fn(node)) ?? 0) + us);
    const f = name === "(idle)" ? "(idle)" : shortUrl(node.callFrame.url);
    file.set(f, (file.get(f) ?? 0) + us);
    // Inclusive time of operator functions: every distinct frame on the stack gets the sample.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!;
      if (!/\/(dist|operator)\//.test(frame.callFrame.url)) continue;
      const key = fn(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const busy = totalUs - idle;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([name]) => !name.startsWith("(idle)"))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: Math.round((us / Math.max(1, busy)) * 1000) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), idleMs: Math.round(idle / 1000), gcMs: Math.round(gc / 1000), bySelf: rank(self), byFile: rank(file), inclusive: rank(inclusive) };
}

export async function summariseFile(file: string, top = 25): Promise<ProfileSummary> {
  return summarise(JSON.parse(await readFile(file, "utf8")) as Profile, top);
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [`profile: ${s.totalMs} ms sampled, ${s.idleMs} ms idle, ${s.totalMs - s.idleMs} ms busy (GC ${s.gcMs} ms); shares are of busy time`];
  const section = (title: string, rows: ProfileSummary["bySelf"]) => {
    lines.push(`  ${title}`);
    for (const r of rows) lines.push(`    ${String(r.ms).padStart(7)} ms ${String(r.share).padStart(5)}%  ${r.name}`);
  };
  section("self time by function", s.bySelf);
  section("self time by file", s.byFile);
  section("inclusive time, operator functions", s.inclusive);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("profile-summary.ts")) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  console.log(formatSummary(await summariseFile(file, Number(top ?? 25))));
}
