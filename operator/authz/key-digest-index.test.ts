import { describe, expect, it } from "vitest";
import type { CompiledPolicy } from "./compiled-policy.js";
import { DeclaredKeys } from "./declared-keys.js";
import { KeyDigestIndex } from "./key-digest-index.js";

function compiled(name: string, sha256s: string[]): CompiledPolicy {
  const keys = DeclaredKeys.from(sha256s.map((sha256, i) => ({ id: `${name}-${i}`, sha256 })));
  return { namespace: "ns", name, keyHeader: "x-api-key", keys, issuers: [], forwardedTokenHeaders: new Set(), rules: [] };
}

// Two digests that share their first 31 bits: the index's map key is the same for both.
const sharedPrefix = "0123456789abcdef".repeat(4);
const samePrefixOther = sharedPrefix.slice(0, 8) + "f".repeat(56);
const digest = (hex: string) => Buffer.from(hex, "hex");

describe("KeyDigestIndex", () => {
  it("tells apart keys whose digests share the index's prefix, in one policy or two", () => {
    const index = new KeyDigestIndex();
    const a = compiled("a", [sharedPrefix, samePrefixOther]);
    const b = compiled("b", [samePrefixOther]);
    index.add(a);
    const slotB = index.add(b);
    expect(index.find(digest(sharedPrefix)).map((k) => k.id)).toEqual(["a-0"]);
    expect(index.find(digest(samePrefixOther)).map((k) => k.id).sort()).toEqual(["a-1", "b-0"]);
    index.remove(slotB);
    expect(index.find(digest(samePrefixOther)).map((k) => k.id)).toEqual(["a-1"]);
    expect(index.find(digest("e".repeat(64)))).toEqual([]);
    expect(index.find(new Uint8Array(3))).toEqual([]);
    expect(index.keys).toBe(2);
  });

  it("points a slot at a policy compiled again from the same keys, and refuses other keys there", () => {
    const index = new KeyDigestIndex();
    const first = compiled("a", [sharedPrefix]);
    const slot = index.add(first);
    const again: CompiledPolicy = { ...first, name: "a-again" };
    index.replace(slot, again);
    expect(index.find(digest(sharedPrefix)).map((k) => k.policy.name)).toEqual(["a-again"]);
    expect(() => index.replace(slot, compiled("c", [sharedPrefix]))).toThrow(/does not hold these declared keys/);
  });

  it("reuses a freed slot and finds nothing of the policy that held it", () => {
    const index = new KeyDigestIndex();
    const slot = index.add(compiled("a", [sharedPrefix]));
    index.remove(slot);
    expect(index.add(compiled("b", [samePrefixOther]))).toBe(slot);
    expect(index.find(digest(sharedPrefix))).toEqual([]);
    expect(index.find(digest(samePrefixOther)).map((k) => k.policy.name)).toEqual(["b"]);
    expect(index.keys).toBe(1);
  });
});
