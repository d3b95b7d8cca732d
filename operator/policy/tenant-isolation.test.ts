import { describe, expect, it } from "vitest";
import type { AccessPolicySpec, AccessSource } from "../api/types.js";
import { SourceReason } from "./reasons.js";
import { authorizationSpec, identity, NAMESPACE, principalOf, render } from "./test-fixtures.js";

const target = identity(NAMESPACE, "ledger", { tenant: "acme" });
const sameTenant = identity("shop", "cart", { tenant: "acme" });
const otherTenant = identity("shop", "rival", { tenant: "globex" });
const untenanted = identity("shared", "gateway");
const identities = [target, sameTenant, otherTenant, untenanted];

function allowFrom(source: AccessSource, extra: Partial<AccessPolicySpec> = {}): AccessPolicySpec {
  return { targetIdentity: "ledger", rules: [{ from: [source] }], ...extra };
}

describe("semantic 4: tenant isolation", () => {
  it.each<[string, AccessSource, unknown[]]>([
    ["an identity of the same tenant", { identity: { name: "cart", namespace: "shop" } }, [{ source: { principals: [principalOf("shop", "cart")] } }]],
    ["an identity without tenant (not another tenant's)", { identity: { name: "gateway", namespace: "shared" } }, [{ source: { principals: [principalOf("shared", "gateway")] } }]],
    ["the target's own tenant", { tenant: "acme" }, [{ source: { principals: [principalOf("payments", "ledger"), principalOf("shop", "cart")] } }]],
    ["a namespace holding no other tenant's identity", { namespace: "shared" }, [{ source: { namespaces: ["shared"] } }]],
    ["an unmanaged principal", { principal: "spiffe://partner.example/ns/shop/sa/rival" }, [{ source: { principals: ["partner.example/ns/shop/sa/rival"] } }]],
    ["a principal of a same-tenant identity", { principal: `spiffe://${principalOf("shop", "cart")}` }, [{ source: { principals: [principalOf("shop", "cart")] } }]],
  ])("keeps %s", (_what, source, from) => {
    const result = render(allowFrom(source), identities);
    expect(result.unresolved).toEqual([]);
    expect(authorizationSpec(result).rules).toEqual([{ from }]);
  });

  it.each<[string, AccessSource, string]>([
    ["an identity of another tenant", { identity: { name: "rival", namespace: "shop" } }, "tenant globex"],
    ["another tenant", { tenant: "globex" }, "tenant globex"],
    ["a namespace that holds another tenant's identity", { namespace: "shop" }, "EngineIdentity shop/rival of tenant globex"],
    ["the principal of another tenant's identity", { principal: `spiffe://${principalOf("shop", "rival")}` }, "EngineIdentity shop/rival of tenant globex"],
  ])("leaves out %s from an Allow rule (CrossTenant), leaving the rule without sources", (_what, source, named) => {
    const result = render(allowFrom(source), identities);
    expect(result.unresolved).toEqual([{ rule: 0, source: 0, effect: "LeftOut", reason: SourceReason.CrossTenant, message: expect.stringContaining(named), engines: ["shop/rival"] }]);
    expect(authorizationSpec(result).rules).toBeUndefined();
  });

  it("leaves out an identity that shares its service account with another tenant's identity", () => {
    const twin = identity("shop", "rival-twin", { tenant: "globex", serviceAccount: "cart" });
    const result = render(allowFrom({ identity: { name: "cart", namespace: "shop" } }), [...identities, twin]);
    expect(result.unresolved).toEqual([
      {
        rule: 0,
        source: 0,
        effect: "LeftOut",
        reason: SourceReason.CrossTenant,
        message: expect.stringContaining("service account cart is shared with EngineIdentity shop/rival-twin of tenant globex"),
        engines: ["shop/rival-twin"],
      },
    ]);
  });

  it.each<[string, Partial<AccessPolicySpec>]>([
    ["allowCrossTenant is true", { allowCrossTenant: true }],
    ["the policy is Deny", { action: "Deny" }],
    ["the policy is Audit", { action: "Audit" }],
  ])("admits other tenants' sources when %s", (_when, extra) => {
    const result = render(
      { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "rival", namespace: "shop" } }, { tenant: "globex" }, { namespace: "shop" }] }], ...extra },
      identities,
    );
    expect(result.unresolved).toEqual([]);
    expect(authorizationSpec(result).rules).toEqual([
      { from: [{ source: { principals: [principalOf("shop", "rival")] } }, { source: { namespaces: ["shop"] } }] },
    ]);
  });

  it.each([
    ["the target has no tenant", [identity(NAMESPACE, "ledger"), otherTenant], "ledger"],
    ["there is no target", [otherTenant], undefined],
  ])("does not isolate when %s", (_when, ids, targetIdentity) => {
    const result = render({ ...(targetIdentity ? { targetIdentity } : {}), rules: [{ from: [{ tenant: "globex" }] }] }, ids);
    expect(result.unresolved).toEqual([]);
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { principals: [principalOf("shop", "rival")] } }] }]);
  });

  it("keeps the same-tenant sources of a rule that also names another tenant", () => {
    const result = render(allowFrom({ tenant: "acme" }, { rules: [{ from: [{ tenant: "globex" }, { identity: { name: "cart", namespace: "shop" } }] }] }), identities);
    expect(result.unresolved.map((u) => [u.source, u.reason])).toEqual([[0, "CrossTenant"]]);
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { principals: [principalOf("shop", "cart")] } }] }]);
  });
});

describe("tenant isolation through shared service accounts", () => {
  const api = identity(NAMESPACE, "ledger", { tenant: "t1", workloadSelector: { app: "ledger" } });
  const web = identity(NAMESPACE, "web", { tenant: "t1", serviceAccount: "shared" });
  const db = identity(NAMESPACE, "db", { tenant: "t2", serviceAccount: "shared" });
  const jobs = identity(NAMESPACE, "jobs", { tenant: "t1" });
  const fromTenant = { targetIdentity: "ledger", rules: [{ from: [{ tenant: "t1" }] }] };

  it("leaves out a tenant member whose service account another tenant's engine shares, and reports it as narrowing the source", () => {
    const result = render(fromTenant, [api, web, db, jobs]);
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { principals: [principalOf(NAMESPACE, "jobs"), principalOf(NAMESPACE, "ledger")] } }] }]);
    expect(result.unresolved).toEqual([
      {
        rule: 0,
        source: 0,
        effect: "Narrowed",
        reason: SourceReason.CrossTenant,
        message: `rules[0].from[0] names tenant t1; 1 of its 3 engines is left out (${NAMESPACE}/web) because its service account is shared with another tenant's engine (EngineIdentity ${NAMESPACE}/db of tenant t2); give them service accounts of their own`,
        engines: [`${NAMESPACE}/web`],
      },
    ]);
  });

  it("keeps members that share a service account with another tenant in a Deny: leaving them out would widen access", () => {
    const result = render({ ...fromTenant, action: "Deny" }, [api, web, db, jobs]);
    expect(result.unresolved).toEqual([]);
    expect(authorizationSpec(result).rules).toEqual([
      { from: [{ source: { principals: [principalOf(NAMESPACE, "jobs"), principalOf(NAMESPACE, "ledger"), principalOf(NAMESPACE, "shared")] } }] },
    ]);
  });

  it("leaves out the whole tenant source when every member shares with another tenant", () => {
    const sharedTarget = { ...api, serviceAccount: "shared" };
    const result = render(fromTenant, [sharedTarget, web, db]);
    expect(result.unresolved.map((u) => u.reason)).toEqual([SourceReason.CrossTenant]);
    expect(authorizationSpec(result).rules ?? []).toEqual([]);
  });
});
