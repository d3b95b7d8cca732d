// Sorting helpers for rendered output. Plain code-unit comparison, never localeCompare:
// the order must not depend on the locale of the machine that renders.

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** The same record with its keys inserted in sorted order, so serialisations agree. */
export function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).sort(compareStrings).map((key) => [key, record[key] as string]));
}
