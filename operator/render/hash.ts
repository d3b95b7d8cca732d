// A stable hash of rendered specs: keys are sorted at every depth so that the same
// content always hashes the same, whatever order it was built in.
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  return write(value) as string;
}

// Writes the JSON text directly rather than building a sorted copy first: this runs for
// every rendered object and status on every reconcile. Same output as JSON.stringify of
// a copy with sorted keys (undefined members left out, undefined array items as null).
function write(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? "null").join(",")}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of jsonKeyOrder(Object.keys(record).sort())) {
    const text = write(record[key]);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(",")}}`;
}

// An object built from sorted keys still lists integer-like keys first, in numeric order,
// and recorded hashes were made that way.
function jsonKeyOrder(sorted: string[]): string[] {
  const indexes = sorted.filter(isArrayIndex);
  if (indexes.length === 0) return sorted;
  return [...indexes.sort((a, b) => Number(a) - Number(b)), ...sorted.filter((key) => !isArrayIndex(key))];
}

function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && /^(0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
