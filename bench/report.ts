// The benchmark's verdict: one row per metric with its goal, printed as a table and kept
// (with the raw measurements) in .bench/results.json.

export interface Row {
  size: number;
  metric: string;
  value: string;
  goal: string;
  /** undefined: informational, no goal. */
  pass?: boolean;
}

export function formatTable(rows: Row[]): string {
  const header = ["N", "metric", "value", "goal", "result"];
  const cells = rows.map((r) => [String(r.size), r.metric, r.value, r.goal, r.pass === undefined ? "" : r.pass ? "PASS" : "FAIL"]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const msec = (ms: number) => `${ms.toFixed(0)} ms`;
