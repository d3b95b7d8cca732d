// The generation the apiserver will give an object once the file is applied, which the
// operator writes into the source-generation annotation: unchanged while every field the
// file sets already has that value (the apiserver's defaults only add fields), one more
// otherwise, and 1 for an object that does not exist yet.
export function nextGeneration(fileSpec: unknown, live: { spec?: unknown; metadata: { generation?: number } } | undefined): number {
  if (!live) return 1;
  const current = live.metadata.generation ?? 1;
  return contains(live.spec, fileSpec) ? current : current + 1;
}

function contains(live: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) return Array.isArray(live) && live.length === wanted.length && wanted.every((item, i) => contains(live[i], item));
  if (wanted !== null && typeof wanted === "object") {
    if (live === null || typeof live !== "object" || Array.isArray(live)) return false;
    return Object.entries(wanted).every(([key, value]) => value === undefined || contains((live as Record<string, unknown>)[key], value));
  }
  return live === wanted;
}
