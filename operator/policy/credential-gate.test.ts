import { describe, expect, it } from "vitest";
import { gateName } from "../render/names.js";
import type { AccessPolicySpec } from "../api/types.js";
import { authorizationSpec, findObject, identity, render, POLICY_NAME } from "./test-fixtures.js";

const sha = "0".repeat(64);
const keys = [
  { id: "ci", sha256: sha, tenant: "acme" },
  { id: "partner", sha256: sha, tenant: "globex" },
];
const gated = (spec: Partial<AccessPolicySpec>): AccessPolicySpec => ({
  targetIdentity: "ledger",
  rules: [
    { from: [{ apiKey: { id: "ci" } }], to: [{ methods: ["POST"], paths: ["/v1/entries"] }] },
    { from: [{ namespace: "storefront" }], to: [{ methods: ["GET"] }] },
  ],
  authentication: { apiKeys: { keys } },
  ...spec,
});
const target = [identity("payments", "ledger", { tenant: "acme" })];

describe("credential gate rendering", () => {
  it("renders a CUSTOM policy with provider nexus-authz and an ALLOW rule for exactly the gated operations", () => {
    const result = render(gated({}), target);
    const custom = authorizationSpec(result, gateName(POLICY_NAME));
    const gateOps = [{ to: [{ operation: { methods: ["POST"], paths: ["/v1/entries"] } }] }];
    expect(custom.action).toBe("CUSTOM");
    expect(custom.provider).toEqual({ name: "nexus-authz" });
    expect(custom.rules).toEqual(gateOps);
    const allow = authorizationSpec(result);
    expect(allow.action).toBe("ALLOW");
    expect(allow.rules).toContainEqual(gateOps[0]);
    // The mesh rule of the other rule is unchanged and the operations are not gated.
    expect(allow.rules).toContainEqual({ from: [{ source: { namespaces: ["storefront"] } }], to: [{ operation: { methods: ["GET"] } }] });
    expect(custom.selector).toEqual(allow.selector);
  });

  it("an undeclared key id gates nothing, is reported, and leaves its rule closed", () => {
    const result = render(gated({ rules: [{ from: [{ apiKey: { id: "missing" } }], to: [{ methods: ["DELETE"] }] }] }), target);
    expect(findObject(result, "AuthorizationPolicy", gateName(POLICY_NAME))).toBeUndefined();
    expect(authorizationSpec(result).rules ?? []).toEqual([]);
    expect(result.unresolved).toEqual([expect.objectContaining({ rule: 0, source: 0, reason: "ApiKeyNotDeclared" })]);
  });

  it("tenant isolation applies to key tenants", () => {
    const result = render(gated({ rules: [{ from: [{ apiKey: { id: "partner" } }, { apiKey: { tenant: "globex" } }], to: [{ methods: ["GET"] }] }] }), target);
    expect(result.unresolved.map((u) => u.reason)).toEqual(["CrossTenant", "CrossTenant"]);
    expect(findObject(result, "AuthorizationPolicy", gateName(POLICY_NAME))).toBeUndefined();
    const crossAllowed = render(gated({ allowCrossTenant: true, rules: [{ from: [{ apiKey: { tenant: "globex" } }], to: [{ methods: ["GET"] }] }] }), target);
    expect(crossAllowed.unresolved).toEqual([]);
    expect(authorizationSpec(crossAllowed, gateName(POLICY_NAME)).rules).toEqual([{ to: [{ operation: { methods: ["GET"] } }] }]);
  });

  it("a rule for any operation gates every request, once", () => {
    const result = render(gated({ rules: [{ from: [{ apiKey: { id: "ci" } }] }, { from: [{ apiKey: { id: "ci" } }], to: [{ methods: ["GET"] }] }] }), target);
    expect(authorizationSpec(result, gateName(POLICY_NAME)).rules).toEqual([{}]);
  });

  it("jwt sources are gated only when the gate is on; dry-run and gate false render no CUSTOM", () => {
    const jwt = { jwt: [{ issuer: "https://login.example.com", audiences: ["ledger"] }] };
    const jwtRule = [{ from: [{ jwt: { issuer: "https://login.example.com" } }], to: [{ paths: ["/v1/*"] }] }];
    expect(findObject(render(gated({ rules: jwtRule, authentication: jwt }), target), "AuthorizationPolicy", gateName(POLICY_NAME))).toBeUndefined();
    const on = render(gated({ rules: jwtRule, authentication: { ...jwt, gate: true } }), target);
    expect(authorizationSpec(on, gateName(POLICY_NAME)).rules).toEqual([{ to: [{ operation: { paths: ["/v1/*"] } }] }]);
    expect(findObject(render(gated({ dryRun: true }), target), "AuthorizationPolicy", gateName(POLICY_NAME))).toBeUndefined();
  });

  it("the policy hash covers the gate and the rendering is deterministic", () => {
    const a = render(gated({}), target);
    const b = render(gated({ rules: [{ from: [{ apiKey: { id: "ci" } }], to: [{ methods: ["PUT"] }] }, ...(gated({}).rules ?? []).slice(1)] }), target);
    expect(render(gated({}), target)).toEqual(a);
    expect(a.policyHash).not.toBe(b.policyHash);
  });
});
