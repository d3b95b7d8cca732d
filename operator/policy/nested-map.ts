// Two-level maps (namespace, then name): asked for every source of every policy, a key
// joined from both parts would be built and hashed anew for each question.

/** The inner map under `key`, made empty when missing. */
export function innerMap<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}
