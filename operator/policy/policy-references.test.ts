import { describe, expect, it } from "vitest";
import type { AccessPolicySpec } from "../api/types.js";
import { policyReferences } from "./policy-references.js";
import { accessPolicy } from "./test-fixtures.js";

describe("policyReferences: what a policy's rendering depends on", () => {
  it.each<[string, AccessPolicySpec, ReturnType<typeof policyReferences>]>([
    ["nothing for a policy without target or sources", { action: "Deny", rules: [{}] }, { identities: [], tenants: [], namespaces: [] }],
    ["the target identity", { targetIdentity: "ledger" }, { identities: ["payments/ledger"], tenants: [], namespaces: [] }],
    [
      "identity sources, defaulting to the policy's namespace, and their namespaces (service-account sharing)",
      { rules: [{ from: [{ identity: { name: "billing" } }, { identity: { name: "reader", namespace: "audit" } }] }] },
      { identities: ["audit/reader", "payments/billing"], tenants: [], namespaces: ["audit", "payments"] },
    ],
    ["tenant sources", { rules: [{ from: [{ tenant: "ops" }] }, { from: [{ tenant: "acme" }, { tenant: "ops" }] }] }, { identities: [], tenants: ["acme", "ops"], namespaces: [] }],
    ["namespace sources", { rules: [{ from: [{ namespace: "frontend" }] }] }, { identities: [], tenants: [], namespaces: ["frontend"] }],
    [
      "the namespace of a service-account principal, whose identities decide tenant isolation",
      { rules: [{ from: [{ principal: "spiffe://cluster.local/ns/shop/sa/cart" }, { principal: "spiffe://partner.example/workload/x" }] }] },
      { identities: [], tenants: [], namespaces: ["shop"] },
    ],
    ["nothing for jwt sources", { authentication: { jwt: [{ issuer: "i" }] }, rules: [{ from: [{ jwt: { issuer: "i" } }] }] }, { identities: [], tenants: [], namespaces: [] }],
  ])("%s", (_what, spec, expected) => {
    expect(policyReferences(accessPolicy(spec))).toEqual(expected);
  });
});
