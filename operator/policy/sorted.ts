// Sorting helpers for rendered output. Plain code-unit comparison, never localeCompare:
// the order must not depend on the locale of the machine that renders.

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** Whether each value is greater than the one before it: sorted by code unit, no repeats. */
export function isSortedUnique(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i - 1]! < values[i]!)) return false;
  return true;
}

/** sortedUnique(a ++ b) of two lists that are each sorted and unique, in one pass. */
export function mergeSortedUnique(a: readonly string[], b: readonly string[]): string[] {
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      merged.push(x);
      i++;
    } else if (y < x) {
      merged.push(y);
      j++;
    } else {
      merged.push(x);
      i++;
      j++;
    }
  }
  while (i < a.length) merged.push(a[i++]!);
  while (j < b.length) merged.push(b[j++]!);
  return merged;
}

/** The same record with its keys inserted in sorted order, so serialisations agree. */
export function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).sort(compareStrings).map((key) => [key, record[key] as string]));
}
