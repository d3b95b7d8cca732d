// Every declared key of every gated policy by digest, so that a presented key is found with
// one lookup whatever the number of keys. The map holds small integers only (the first 31
// bits of a digest to the slot of each policy declaring such a key): a few objects for the
// collector to mark, however many keys there are. The policy's own DeclaredKeys then finds
// the key by its whole digest.
import { CompiledKey, type CompiledPolicy } from "./compiled-policy.js";
import { digestPrefix } from "./declared-keys.js";

export class KeyDigestIndex {
  /** Digest prefix to the slot, or slots, of the policies declaring a key with it. */
  private readonly slotsByPrefix = new Map<number, number | number[]>();
  private readonly policies: Array<CompiledPolicy | undefined> = [];
  private readonly freeSlots: number[] = [];
  private keyCount = 0;

  get keys(): number {
    return this.keyCount;
  }

  /** Indexes the policy's keys; returns its slot, for replace() and remove(). */
  add(policy: CompiledPolicy): number {
    const slot = this.freeSlots.pop() ?? this.policies.length;
    this.policies[slot] = policy;
    const keys = policy.keys;
    for (let i = 0; i < keys.size; i++) {
      const prefix = keys.prefixAt(i);
      const found = this.slotsByPrefix.get(prefix);
      if (found === undefined) this.slotsByPrefix.set(prefix, slot);
      else if (found === slot) continue;
      else if (typeof found === "number") this.slotsByPrefix.set(prefix, [found, slot]);
      else if (!found.includes(slot)) found.push(slot);
    }
    this.keyCount += keys.size;
    return slot;
  }

  /** A policy compiled again from the same declared keys takes over its slot: nothing is re-indexed. */
  replace(slot: number, policy: CompiledPolicy): void {
    const previous = this.policies[slot];
    if (!previous || previous.keys !== policy.keys) throw new Error(`slot ${slot} does not hold these declared keys`);
    this.policies[slot] = policy;
  }

  remove(slot: number): void {
    const policy = this.policies[slot];
    if (!policy) return;
    const keys = policy.keys;
    for (let i = 0; i < keys.size; i++) {
      const prefix = keys.prefixAt(i);
      const found = this.slotsByPrefix.get(prefix);
      if (found === slot) this.slotsByPrefix.delete(prefix);
      else if (Array.isArray(found)) {
        const rest = found.filter((other) => other !== slot);
        this.slotsByPrefix.set(prefix, rest.length === 1 ? rest[0]! : rest);
      }
    }
    this.keyCount -= keys.size;
    this.policies[slot] = undefined;
    this.freeSlots.push(slot);
  }

  /** Every declared key with this SHA-256, in any policy. */
  find(digest: Uint8Array): CompiledKey[] {
    if (digest.length !== 32) return [];
    const found = this.slotsByPrefix.get(digestPrefix(digest));
    const keys: CompiledKey[] = [];
    if (typeof found === "number") this.collect(found, digest, keys);
    else if (found) for (const slot of found) this.collect(slot, digest, keys);
    return keys;
  }

  private collect(slot: number, digest: Uint8Array, into: CompiledKey[]): void {
    const policy = this.policies[slot]!;
    const declared = policy.keys;
    const [first, end] = declared.rangeOf(digest);
    for (let i = first; i < end; i++) into.push(new CompiledKey(declared.idAt(i), policy, declared.tenantAt(i), declared.notBeforeAt(i), declared.notAfterAt(i)));
  }
}
