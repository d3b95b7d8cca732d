// The access matrix as text (grouped by target, allowed requests only), JSON or CSV.
import type { MatrixCell } from "./matrix.js";
import { decisionText } from "./check-access.js";

export function matrixText(cells: readonly MatrixCell[], targets: readonly string[]): string {
  const allowed = new Map<string, Map<string, string[]>>();
  for (const cell of cells) {
    if (cell.decision === "DENY" || !cell.operation) continue;
    const callers = allowed.get(cell.to) ?? new Map<string, string[]>();
    const ops = callers.get(cell.from) ?? [];
    ops.push(`${cell.operation.method} ${cell.operation.path}:${cell.operation.port}${cell.decision === "ALLOW_IF_GATE" ? " (if the gate accepts)" : ""}`);
    callers.set(cell.from, ops);
    allowed.set(cell.to, callers);
  }
  const lines: string[] = [];
  for (const target of targets) {
    const callers = allowed.get(target);
    if (!callers || callers.size === 0) {
      lines.push(`${target} <- nobody`);
      continue;
    }
    lines.push(`${target} <-`);
    for (const [from, ops] of [...callers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) lines.push(`  ${from}: ${ops.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

export function matrixJson(cells: readonly MatrixCell[]): string {
  return `${JSON.stringify(cells, null, 2)}\n`;
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function matrixCsv(cells: readonly MatrixCell[]): string {
  const rows = [["from", "to", "method", "path", "port", "decision", "policy"]];
  for (const c of cells) rows.push([c.from, c.to, c.operation?.method ?? "*", c.operation?.path ?? "*", c.operation ? String(c.operation.port) : "*", decisionText(c.decision), c.policy ?? ""]);
  return rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}
