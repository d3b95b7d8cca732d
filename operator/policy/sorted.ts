// Sorting helpers for rendered output. Plain code-unit comparison, never localeCompare:
// the order must not depend on the locale of the machine that renders.

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedUnique(values: Iterable<string>): string[] {
  // Lists as written (methods, paths) are mostly in order already: then a copy is the answer.
  if (Array.isArray(values) && isSortedUnique(values)) return values.slice();
  return [...new Set(values)].sort(compareStrings);
}

/** Whether each value is greater than the one before it: sorted by code unit, no repeats. */
export function isSortedUnique(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i - 1]! < values[i]!)) return false;
  return true;
}

/**
 * sortedUnique(a ++ b) of two lists that are each sorted and unique, in one pass. When one
 * list holds every value of the other, that list itself is the result: a tenant's
 * principals merged with a few of its own members stay the one shared list, whose
 * measures and texts the renderer keeps (rendered lists are never modified).
 */
export function mergeSortedUnique(a: readonly string[], b: readonly string[]): string[] {
  if (includesAll(a, b)) return a as string[];
  if (includesAll(b, a)) return b as string[];
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

/** Whether sorted, unique `list` holds every value of sorted, unique `values`. */
function includesAll(list: readonly string[], values: readonly string[]): boolean {
  if (values.length > list.length) return false;
  let i = 0;
  for (const value of values) {
    while (i < list.length && list[i]! < value) i++;
    if (i === list.length || list[i] !== value) return false;
    i++;
  }
  return true;
}

/** The same record with its keys inserted in sorted order, so serialisations agree. */
export function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).sort(compareStrings).map((key) => [key, record[key] as string]));
}
