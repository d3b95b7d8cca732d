// Summarises a V8 sampling heap profile (node --heap-prof, written at exit): the sampled
// bytes still held, by allocating function and by file.
//   npx tsx bench/heap-profile-summary.ts .bench/profiles/<file>.heapprofile [top]
import { readFile } from "node:fs/promises";

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: HeapNode[];
}

export function summariseHeap(root: HeapNode, top = 25): string {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  const visit = (node: HeapNode) => {
    const url = node.callFrame.url.replace(/^file:\/\//, "").replace(/.*node_modules\//, "").replace(/.*\/dist\//, "dist/");
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${url || "(native)"}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    byFile.set(url || "(native)", (byFile.get(url || "(native)") ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => `    ${(bytes / 2 ** 20).toFixed(1).padStart(7)} MiB ${((bytes / Math.max(1, total)) * 100).toFixed(1).padStart(5)}%  ${name}`);
  return [`heap profile: ${(total / 2 ** 20).toFixed(1)} MiB sampled as held`, "  by allocating function", ...rank(byFunction), "  by file", ...rank(byFile)].join("\n");
}

if (process.argv[1]?.endsWith("heap-profile-summary.ts")) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: npx tsx bench/heap-profile-summary.ts <file.heapprofile> [top]");
    process.exit(2);
  }
  const profile = JSON.parse(await readFile(file, "utf8")) as { head: HeapNode };
  console.log(summariseHeap(profile.head, Number(top ?? 25)));
}
