import { describe, expect, it } from "vitest";
import type { AccessPolicy } from "../api/types.js";
import { IdentityIndex, PolicyDependents } from "./identity-index.js";

function policy(name: string, spec: AccessPolicy["spec"], namespace = "payments"): AccessPolicy {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name, namespace }, spec };
}

/** Facts as the renderer reads them (tenant verified), for PolicyDependents. */
const facts = (namespace: string, name: string, tenant?: string) => ({ namespace, name, serviceAccount: name, ...(tenant ? { tenant } : {}) });
/** What an identity says of itself, for the index (which verifies the tenant). */
const claim = (namespace: string, name: string, claimedTenant?: string) => ({ namespace, name, serviceAccount: name, ...(claimedTenant ? { claimedTenant } : {}) });

/** An index whose namespaces belong to tenants, as the administrators labelled them. */
function indexWith(tenants: Record<string, string>): IdentityIndex {
  const index = new IdentityIndex();
  for (const [namespace, tenant] of Object.entries(tenants)) index.setNamespaceTenant(namespace, tenant);
  return index;
}

describe("IdentityIndex", () => {
  it("answers by key, tenant and namespace, and follows tenant changes and removals", () => {
    const index = indexWith({ payments: "acme", shop: "acme" });
    index.update("payments/ledger", claim("payments", "ledger", "acme"));
    index.update("shop/cart", claim("shop", "cart"));
    expect(index.withTenant("acme").map((f) => f.name).sort()).toEqual(["cart", "ledger"]);
    index.setNamespaceTenant("shop", "globex");
    expect(index.get("shop", "cart")?.tenant).toBe("globex");
    expect(index.withTenant("acme").map((f) => f.name)).toEqual(["ledger"]);
    expect(index.withTenant("globex").map((f) => f.name)).toEqual(["cart"]);
    expect(index.withServiceAccount("payments", "ledger").map((f) => f.name)).toEqual(["ledger"]);
    index.update("payments/ledger", undefined);
    expect(index.get("payments", "ledger")).toBeUndefined();
    expect(index.inNamespace("payments")).toEqual([]);
    expect(index.withServiceAccount("payments", "ledger")).toEqual([]);
  });
});

describe("IdentityIndex.derived", () => {
  it("answers a derived question once, and again after any identity's facts change, but not after an unchanged update", () => {
    const index = indexWith({ payments: "acme", shop: "acme" });
    index.update("payments/ledger", claim("payments", "ledger", "acme"));
    let computed = 0;
    const members = () => index.derived("members of acme", () => (computed++, index.withTenant("acme").map((f) => f.name).sort()));
    expect(members()).toEqual(["ledger"]);
    expect(members()).toEqual(["ledger"]);
    expect(computed).toBe(1);
    index.update("payments/ledger", claim("payments", "ledger", "acme"));
    expect(members()).toEqual(["ledger"]);
    expect(computed).toBe(1);
    index.update("shop/cart", claim("shop", "cart", "acme"));
    expect(members()).toEqual(["cart", "ledger"]);
    index.update("shop/cart", { ...claim("shop", "cart", "acme"), serviceAccount: "other" });
    members();
    index.update("shop/cart", undefined);
    expect(members()).toEqual(["ledger"]);
    expect(computed).toBe(4);
  });
});

describe("IdentityIndex tenancy", () => {
  it("makes an identity a member of its namespace's tenant only, whatever it claims", () => {
    const index = indexWith({ acme: "acme" });
    index.update("acme/ledger", claim("acme", "ledger", "acme"));
    index.update("acme/quiet", claim("acme", "quiet"));
    index.update("mallory/spy", claim("mallory", "spy", "acme"));
    index.update("acme/odd", claim("acme", "odd", "globex"));
    expect(index.withTenant("acme").map((f) => f.name).sort()).toEqual(["ledger", "quiet"]);
    expect(index.withUnverifiedClaim("acme").map((f) => f.name)).toEqual(["spy"]);
    expect(index.withUnverifiedClaim("globex").map((f) => f.name)).toEqual(["odd"]);
    expect(index.get("mallory", "spy")).toEqual({ namespace: "mallory", name: "spy", serviceAccount: "spy", unverifiedTenant: "acme" });
  });

  it("verifies the claims of a namespace again when its tenant label changes, and reports what changed", () => {
    const index = new IdentityIndex();
    index.update("mallory/spy", claim("mallory", "spy", "acme"));
    index.update("mallory/plain", claim("mallory", "plain"));
    let computed = 0;
    const members = () => index.derived("members", () => (computed++, index.withTenant("acme").map((f) => f.name).sort()));
    expect(members()).toEqual([]);
    const changes = index.setNamespaceTenant("mallory", "acme");
    expect(changes.map((c) => [c.key, c.before?.tenant, c.before?.unverifiedTenant, c.after?.tenant]).sort()).toEqual([
      ["mallory/plain", undefined, undefined, "acme"],
      ["mallory/spy", undefined, "acme", "acme"],
    ]);
    expect(members()).toEqual(["plain", "spy"]);
    expect(computed).toBe(2);
    expect(index.setNamespaceTenant("mallory", "acme")).toEqual([]);
    index.setNamespaceTenant("mallory", undefined);
    expect(index.withTenant("acme")).toEqual([]);
    expect(index.withUnverifiedClaim("acme").map((f) => f.name)).toEqual(["spy"]);
    expect(index.namespaceTenant("mallory")).toBeUndefined();
  });

  it("ignores tenant fields a claim carries: only the namespace decides", () => {
    const index = new IdentityIndex();
    index.update("mallory/spy", { ...claim("mallory", "spy"), tenant: "acme" } as ReturnType<typeof claim>);
    expect(index.withTenant("acme")).toEqual([]);
  });
});

describe("IdentityIndex.withServiceAccount", () => {
  it("finds every identity running as a service account, and follows a change of account", () => {
    const index = new IdentityIndex();
    index.update("payments/ledger", { ...facts("payments", "ledger"), serviceAccount: "shared" });
    index.update("payments/audit", { ...facts("payments", "audit"), serviceAccount: "shared" });
    index.update("shop/cart", { ...facts("shop", "cart"), serviceAccount: "shared" });
    expect(index.withServiceAccount("payments", "shared").map((f) => f.name).sort()).toEqual(["audit", "ledger"]);
    index.update("payments/audit", { ...facts("payments", "audit"), serviceAccount: "audit" });
    expect(index.withServiceAccount("payments", "shared").map((f) => f.name)).toEqual(["ledger"]);
    expect(index.withServiceAccount("payments", "audit").map((f) => f.name)).toEqual(["audit"]);
  });
});

describe("PolicyDependents", () => {
  const dependents = new PolicyDependents();
  dependents.update("payments/by-identity", policy("by-identity", { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "cart", namespace: "shop" } }] }] }));
  dependents.update("payments/by-tenant", policy("by-tenant", { rules: [{ from: [{ tenant: "acme" }] }] }));
  dependents.update("payments/by-namespace", policy("by-namespace", { rules: [{ from: [{ namespace: "sandbox" }] }] }));
  dependents.update("payments/unrelated", policy("unrelated", { rules: [{ from: [{ principal: "spiffe://partner.example/ns/x/sa/y" }] }] }));

  it("finds the policies that name an identity or its target", () => {
    expect([...dependents.affectedBy("shop/cart", facts("shop", "cart"), facts("shop", "cart"))].sort()).toContain("payments/by-identity");
    expect([...dependents.affectedBy("payments/ledger", undefined, facts("payments", "ledger"))]).toContain("payments/by-identity");
  });

  it("finds the policies of the tenant an identity leaves and the one it joins", () => {
    const affected = dependents.affectedBy("other/x", facts("other", "x", "acme"), facts("other", "x", "globex"));
    expect([...affected]).toEqual(["payments/by-tenant"]);
  });

  it("finds the policies of a tenant an identity claims without being a member (a claim restricts Deny and Audit)", () => {
    const affected = dependents.affectedBy("other/x", undefined, { ...facts("other", "x"), unverifiedTenant: "acme" });
    expect([...affected]).toEqual(["payments/by-tenant"]);
  });

  it("finds the policies naming the identity's namespace", () => {
    expect([...dependents.affectedBy("sandbox/tool", undefined, facts("sandbox", "tool"))]).toEqual(["payments/by-namespace"]);
  });

  it("leaves every other policy alone", () => {
    expect([...dependents.affectedBy("elsewhere/thing", undefined, facts("elsewhere", "thing", "initech"))]).toEqual([]);
  });

  it("tells a change of generation, uid or deletion from a status-only update", () => {
    const local = new PolicyDependents();
    const base = policy("p", { rules: [{ from: [{ tenant: "acme" }] }] });
    const at = (metadata: Partial<AccessPolicy["metadata"]>): AccessPolicy => ({ ...base, metadata: { ...base.metadata, uid: "u1", generation: 1, ...metadata } });
    expect(local.update("payments/p", at({}))).toBe(true);
    expect(local.update("payments/p", { ...at({ resourceVersion: "2" }), status: { policyHash: "h" } })).toBe(false);
    expect(local.update("payments/p", at({ generation: 2 }))).toBe(true);
    expect(local.update("payments/p", at({ generation: 2, deletionTimestamp: new Date() }))).toBe(true);
    expect(local.update("payments/p", at({ generation: 2, uid: "u2" }))).toBe(true);
    expect(local.update("payments/p", undefined)).toBe(true);
    expect(local.update("payments/p", at({ generation: 2, uid: "u2" }))).toBe(true);
  });

  it("forgets a deleted policy", () => {
    const local = new PolicyDependents();
    local.update("payments/p", policy("p", { rules: [{ from: [{ tenant: "acme" }] }] }));
    local.update("payments/p", undefined);
    expect([...local.affectedBy("a/b", undefined, facts("a", "b", "acme"))]).toEqual([]);
  });
});
