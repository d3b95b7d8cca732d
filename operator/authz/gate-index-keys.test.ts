// The key index holds 100,000 keys in a sidecar-sized process (issue 24): one entry per
// digest that is the key itself (a list only where two policies declare the same digest),
// and keys of one shape with no Buffer of their own. These tests hold the lookups to what
// they were: every key under a shared digest is found, and removing or changing one policy
// leaves the other's keys in place.
import { describe, expect, it } from "vitest";
import { apiKeySha256, generateApiKey } from "../credentials/api-key.js";
import type { AccessPolicy } from "../api/types.js";
import { authenticateKey } from "./gate.js";
import { CompiledKey } from "./compiled-policy.js";
import { GateIndex } from "./gate-index.js";

function policy(name: string, keys: Array<{ id: string; sha256: string; notAfter?: string }>): AccessPolicy {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name, namespace: "ns" }, spec: { authentication: { apiKeys: { keys } }, rules: [{ from: [{ apiKey: { id: keys[0]!.id } }] }] } };
}

describe("the gate's key index", () => {
  const text = generateApiKey("shared");
  const digest = apiKeySha256(text);

  it("finds the keys of both policies that declare the same digest, and one after the other policy goes", () => {
    const index = new GateIndex("cluster.local");
    index.setPolicy(policy("a", [{ id: "shared", sha256: digest }]));
    expect(index.keysWithDigest(digest).map((k) => k.policy.name)).toEqual(["a"]);
    const b = policy("b", [{ id: "shared", sha256: digest }]);
    index.setPolicy(b);
    expect(index.keysWithDigest(digest).map((k) => k.policy.name).sort()).toEqual(["a", "b"]);
    expect(index.size.keys).toBe(2);
    index.setPolicy(b, true);
    expect(index.keysWithDigest(digest).map((k) => k.policy.name)).toEqual(["a"]);
    expect(index.size.keys).toBe(1);
    index.setPolicy(policy("a", [{ id: "other", sha256: apiKeySha256(generateApiKey("other")) }]));
    expect(index.keysWithDigest(digest)).toEqual([]);
    expect(index.size.keys).toBe(1);
  });

  it("holds every key as a CompiledKey of one shape without a Buffer, and still confirms a presented key", () => {
    const index = new GateIndex("cluster.local");
    index.setPolicy(policy("a", [{ id: "shared", sha256: digest }, { id: "old", sha256: apiKeySha256(generateApiKey("old")), notAfter: "2020-01-01T00:00:00Z" }]));
    const [key] = index.keysWithDigest(digest);
    expect(key).toBeInstanceOf(CompiledKey);
    expect(Object.keys(key!).sort()).toEqual(["id", "notAfter", "notBefore", "policy", "sha256", "tenant"]);
    expect(Object.values(key!).some((v) => Buffer.isBuffer(v))).toBe(false);
    const checked = authenticateKey(text, index, Date.now());
    expect(checked.ok && checked.keys.map((k) => k.id)).toEqual(["shared"]);
    // Another key under the same id and a digest nobody declared: unknown, not a match.
    expect(authenticateKey(generateApiKey("shared"), index, Date.now())).toEqual({ ok: false, reason: "unknown-key" });
  });
});
