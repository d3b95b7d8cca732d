// A least-recently-used map bounded in bytes, not entries: what a hostile client can put in
// a cache of the gate (tokens, key sets) differs in size by orders of magnitude, so a bound
// by count is no bound on memory. Callers give each entry's size (an estimate of what it
// keeps alive) and key entries by digests, so the keys themselves are small and fixed.
export class ByteBoundedCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private used = 0;
  /** The most recently used key: asking for it again needs no reordering (the hot path of a Check). */
  private newest: string | undefined;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (key !== this.newest) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = key;
    }
    return entry.value;
  }

  /** Stores the entry unless it alone exceeds the budget; evicts the least recently used to fit. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.newest = key;
    this.used += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
    if (key === this.newest) this.newest = undefined;
  }

  clear(): void {
    this.newest = undefined;
    this.entries.clear();
    this.used = 0;
  }
}
