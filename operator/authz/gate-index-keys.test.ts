// The key index holds 100,000 keys in a sidecar-sized process (issue 24): each policy's keys
// compacted into one DeclaredKeys, indexed by digest prefix. These tests hold the lookups to
// what they were: every key under a shared digest is found, removing or changing one policy
// leaves the other's keys in place, and a cached policy whose list the informer dropped
// still authenticates its keys.
import { describe, expect, it } from "vitest";
import { apiKeyDigest, apiKeySha256, generateApiKey } from "../credentials/api-key.js";
import type { AccessPolicy } from "../api/types.js";
import { authenticateKey } from "./gate.js";
import { compactDeclaredKeysForCache } from "./declared-keys.js";
import { GateIndex } from "./gate-index.js";

function policy(name: string, keys: Array<{ id: string; sha256: string; notAfter?: string }>): AccessPolicy {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name, namespace: "ns" }, spec: { authentication: { apiKeys: { keys } }, rules: [{ from: [{ apiKey: { id: keys[0]!.id } }] }] } };
}

describe("the gate's key index", () => {
  const text = generateApiKey("shared");
  const digest = apiKeyDigest(text);
  const sha256 = apiKeySha256(text);

  it("finds the keys of both policies that declare the same digest, and one after the other policy goes", () => {
    const index = new GateIndex("cluster.local");
    index.setPolicy(policy("a", [{ id: "shared", sha256 }]));
    expect(index.keysWithDigest(digest).map((k) => k.policy.name)).toEqual(["a"]);
    const b = policy("b", [{ id: "shared", sha256 }]);
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

  it("authenticates the keys of a policy whose key list the informer's transform dropped", () => {
    const index = new GateIndex("cluster.local");
    const cached = policy("a", [{ id: "shared", sha256 }, { id: "old", sha256: apiKeySha256(generateApiKey("old")), notAfter: "2020-01-01T00:00:00Z" }]);
    compactDeclaredKeysForCache(cached as never);
    expect(cached.spec.authentication?.apiKeys?.keys).toEqual([]);
    index.setPolicy(cached);
    expect(index.size.keys).toBe(2);
    const checked = authenticateKey(text, index, Date.now());
    expect(checked.ok && checked.keys.map((k) => [k.id, k.policy.name])).toEqual([["shared", "a"]]);
    // Another key under the same id and a digest nobody declared: unknown, not a match.
    expect(authenticateKey(generateApiKey("shared"), index, Date.now())).toEqual({ ok: false, reason: "unknown-key" });
  });

  it("holds no keys for a policy whose list is gone without having been compacted (closed, not open)", () => {
    const index = new GateIndex("cluster.local");
    const emptied = policy("a", [{ id: "shared", sha256 }]);
    emptied.spec.authentication!.apiKeys!.keys = [];
    index.setPolicy(emptied);
    expect(index.size.keys).toBe(0);
    expect(authenticateKey(text, index, Date.now())).toEqual({ ok: false, reason: "unknown-key" });
  });
});
