// One policy's declared API keys as the gate holds them: a few flat arrays instead of an
// object, two strings and a list entry per key. With 100,000 keys the per-key objects were
// most of the gate's live heap, and every major collection marked them again: the pauses
// that set the gate's p99 (issue 24). Digests, validity times and tenant numbers live in
// typed arrays whose memory the collector never walks; the ids share one string.
import type { AccessPolicy, ApiKeyDeclaration } from "../api/types.js";
import type { KubeObject } from "../runtime/kube-client.js";

const DIGEST_BYTES = 32;
const HEX_DIGEST = /^[0-9a-f]{64}$/;
/** No tenant (index 0 of tenantNumbers), or an unbounded validity time. */
const NONE = 0;

/** The first 31 bits of the digest at offset: a small integer, the gate's index key. */
export function digestPrefix(digests: Uint8Array, offset = 0): number {
  return ((digests[offset]! << 24) | (digests[offset + 1]! << 16) | (digests[offset + 2]! << 8) | digests[offset + 3]!) >>> 1;
}

export class DeclaredKeys {
  static readonly EMPTY = DeclaredKeys.from([]);

  /** Keys are stored sorted by digest, so that one is found by binary search. */
  private constructor(
    private readonly digests: Buffer,
    /** digestPrefix of each digest, in the same order: the search compares small integers. */
    private readonly prefixes: Uint32Array,
    /** Every id, one after the other; key i's id ends at idEnds[i]. */
    private readonly ids: string,
    private readonly idEnds: Uint32Array,
    /** Distinct tenants; tenantNumbers[i] is 0 for none, else one more than its place here. */
    private readonly tenantNames: readonly string[],
    private readonly tenantNumbers: Uint32Array,
    /** Milliseconds since the epoch; NaN: unbounded. */
    private readonly notBefores: Float64Array,
    private readonly notAfters: Float64Array,
  ) {}

  /** Keys whose sha256 is not 64 lowercase hex characters are left out: no text has that digest. */
  static from(declared: readonly ApiKeyDeclaration[]): DeclaredKeys {
    const valid = declared.filter((key) => HEX_DIGEST.test(key.sha256));
    // Lowercase hex sorts as the bytes it spells.
    valid.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
    const count = valid.length;
    const digests = Buffer.alloc(count * DIGEST_BYTES);
    const idEnds = new Uint32Array(count);
    const tenantNames: string[] = [];
    const tenantPlaces = new Map<string, number>();
    const tenantNumbers = new Uint32Array(count);
    const notBefores = new Float64Array(count);
    const notAfters = new Float64Array(count);
    let ids = "";
    valid.forEach((key, i) => {
      digests.write(key.sha256, i * DIGEST_BYTES, DIGEST_BYTES, "hex");
      ids += key.id;
      idEnds[i] = ids.length;
      if (key.tenant) {
        let place = tenantPlaces.get(key.tenant);
        if (place === undefined) tenantPlaces.set(key.tenant, (place = tenantNames.push(key.tenant)));
        tenantNumbers[i] = place;
      }
      notBefores[i] = timeOf("notBefore", key.notBefore);
      notAfters[i] = timeOf("notAfter", key.notAfter);
    });
    const prefixes = new Uint32Array(count);
    for (let i = 0; i < count; i++) prefixes[i] = digestPrefix(digests, i * DIGEST_BYTES);
    return new DeclaredKeys(digests, prefixes, ids, idEnds, tenantNames, tenantNumbers, notBefores, notAfters);
  }

  get size(): number {
    return this.idEnds.length;
  }

  /**
   * The keys with this 32-byte digest (a policy may declare one digest under two ids):
   * [first, end). Searched by prefix (digests sort as their prefixes do), then compared
   * whole only where the prefix is the same: one Buffer comparison in all but rare cases,
   * instead of one per step of the search.
   */
  rangeOf(digest: Uint8Array): [number, number] {
    const prefix = digestPrefix(digest);
    const size = this.size;
    let low = 0;
    let high = size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.prefixes[middle]! < prefix) low = middle + 1;
      else high = middle;
    }
    while (low < size && this.prefixes[low] === prefix && this.compareAt(low, digest) < 0) low++;
    let end = low;
    while (end < size && this.prefixes[end] === prefix && this.compareAt(end, digest) === 0) end++;
    return [low, end];
  }

  /** digestPrefix of key i's digest. */
  prefixAt(i: number): number {
    return this.prefixes[i]!;
  }

  idAt(i: number): string {
    return this.ids.slice(i === 0 ? 0 : this.idEnds[i - 1], this.idEnds[i]);
  }

  tenantAt(i: number): string | undefined {
    const number = this.tenantNumbers[i]!;
    return number === NONE ? undefined : this.tenantNames[number - 1];
  }

  notBeforeAt(i: number): number | undefined {
    const time = this.notBefores[i]!;
    return Number.isNaN(time) ? undefined : time;
  }

  notAfterAt(i: number): number | undefined {
    const time = this.notAfters[i]!;
    return Number.isNaN(time) ? undefined : time;
  }

  /** Whether any key satisfies the test (compiling a rule: a source no key can meet admits nobody). */
  some(test: (id: string, tenant: string | undefined) => boolean): boolean {
    for (let i = 0; i < this.size; i++) if (test(this.idAt(i), this.tenantAt(i))) return true;
    return false;
  }

  /** Below zero where key i's digest sorts before `digest`. A loop: a native compare costs more to call than 32 bytes cost to compare. */
  private compareAt(i: number, digest: Uint8Array): number {
    const start = i * DIGEST_BYTES;
    for (let j = 0; j < DIGEST_BYTES; j++) {
      const difference = this.digests[start + j]! - digest[j]!;
      if (difference !== 0) return difference;
    }
    return 0;
  }
}

function timeOf(name: "notBefore" | "notAfter", value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  const ms = Date.parse(value);
  // An unreadable time on a key must not make it valid forever: notAfter fails closed.
  if (Number.isNaN(ms)) return name === "notAfter" ? 0 : Number.MAX_SAFE_INTEGER;
  return ms;
}

// The declared keys belong to the policy object they were read from: the gate compiles a
// policy again whenever an identity changes, and must find its keys without the list.
const keysOfPolicy = new WeakMap<AccessPolicy, DeclaredKeys>();

/** The policy's declared keys, compacted once per policy object. */
export function declaredKeysOf(policy: AccessPolicy): DeclaredKeys {
  let keys = keysOfPolicy.get(policy);
  if (!keys) {
    const declared = policy.spec.authentication?.apiKeys?.keys ?? [];
    keys = declared.length === 0 ? DeclaredKeys.EMPTY : DeclaredKeys.from(declared);
    keysOfPolicy.set(policy, keys);
  }
  return keys;
}

/**
 * The gate's informer transform for AccessPolicies: the key list is compacted and then
 * dropped from the cached object, which nothing else in the gate reads it from. A policy
 * whose list was dropped without being compacted first would hold no keys: closed, not open.
 */
export function compactDeclaredKeysForCache(object: KubeObject): void {
  const policy = object as unknown as AccessPolicy;
  const apiKeys = policy.spec?.authentication?.apiKeys;
  if (!apiKeys?.keys || apiKeys.keys.length === 0) return;
  declaredKeysOf(policy);
  apiKeys.keys = [];
}
