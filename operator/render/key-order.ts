// The order in which a JavaScript object built from sorted keys lists them: sorted, but
// array-index keys first, in numeric order. Canonical JSON (and the hashes recorded from
// it) and the CLI's YAML (what js-yaml writes for such a copy) both follow it.

/** The keys of `record` in that order. Objects the renderer builds have theirs in order already, and are not sorted again. */
export function keysInBuiltOrder(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1]! < keys[i]!)) {
      keys.sort();
      break;
    }
  }
  return indexKeysFirst(keys);
}

function indexKeysFirst(sorted: string[]): string[] {
  // Sorted, so keys starting with a digit are met before any starting with a later character; most objects have none.
  let digitFirst = false;
  for (const key of sorted) {
    const first = key.charCodeAt(0);
    if (first > 57) break;
    if (first >= 48) {
      digitFirst = true;
      break;
    }
  }
  if (!digitFirst) return sorted;
  const indexes = sorted.filter(isArrayIndex);
  if (indexes.length === 0) return sorted;
  return [...indexes.sort((a, b) => Number(a) - Number(b)), ...sorted.filter((key) => !isArrayIndex(key))];
}

function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && /^(0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}
