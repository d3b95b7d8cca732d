import { describe, expect, it } from "vitest";
import type { AccessPolicySpec, AccessSource } from "../api/types.js";
import { identityLookupOf } from "./identity-lookup.js";
import { SourceReason } from "./reasons.js";
import { renderAccessPolicy } from "./render-access-policy.js";
import { TenantReason, tenantLabelProblem, tenantOfNamespace, verifiedFacts, verifyTenant, type IdentityClaim } from "./tenancy.js";
import { accessPolicy, authorizationSpec, config, principalOf } from "./test-fixtures.js";

describe("verifyTenant: the namespace's label decides, spec.tenant only claims", () => {
  it.each<[string, string | undefined, string | undefined, Partial<ReturnType<typeof verifyTenant>>]>([
    ["a claim its namespace backs", "acme", "acme", { tenant: "acme", status: "True", reason: TenantReason.Verified }],
    ["no claim in a tenant's namespace (member of the namespace's tenant)", undefined, "acme", { tenant: "acme", status: "True", reason: TenantReason.Verified }],
    ["a claim of another tenant than the namespace's", "acme", "globex", { unverifiedTenant: "acme", status: "False", reason: TenantReason.Mismatch }],
    ["a claim in a namespace of no tenant", "acme", undefined, { unverifiedTenant: "acme", status: "False", reason: TenantReason.NamespaceHasNoTenant }],
    ["no claim and no tenant", undefined, undefined, { status: "True", reason: TenantReason.NoTenant }],
  ])("%s", (_what, claimed, namespaceTenant, expected) => {
    const verification = verifyTenant(claimed, "team-ns", namespaceTenant);
    expect(verification).toMatchObject(expected);
    if (expected.tenant === undefined) expect(verification.tenant).toBeUndefined();
    if (expected.unverifiedTenant === undefined) expect(verification.unverifiedTenant).toBeUndefined();
  });

  it("names the claim, the namespace and the label an administrator sets in its message", () => {
    expect(verifyTenant("acme", "mallory", undefined, "capsule.clastix.io/tenant").message).toContain("labelling the namespace capsule.clastix.io/tenant=acme");
    expect(verifyTenant("acme", "mallory", "globex").message).toContain("namespace mallory belongs to tenant globex");
  });

  it("reads the tenant from the configured label key, and an empty value as none", () => {
    expect(tenantOfNamespace({ "capsule.clastix.io/tenant": "acme" }, "capsule.clastix.io/tenant")).toBe("acme");
    expect(tenantOfNamespace({ "capsule.clastix.io/tenant": "acme" }, "security.nexus.io/tenant")).toBeUndefined();
    expect(tenantOfNamespace({ "security.nexus.io/tenant": "" }, "security.nexus.io/tenant")).toBeUndefined();
    expect(tenantOfNamespace(undefined, "security.nexus.io/tenant")).toBeUndefined();
  });

  it("accepts label keys as Kubernetes does, and nothing else", () => {
    expect(tenantLabelProblem("security.nexus.io/tenant")).toBeUndefined();
    expect(tenantLabelProblem("capsule.clastix.io/tenant")).toBeUndefined();
    expect(tenantLabelProblem("tenant")).toBeUndefined();
    expect(tenantLabelProblem("Bad Key")).toMatch(/must be a label key/);
    expect(tenantLabelProblem("a/b/c")).toMatch(/must be a label key/);
  });
});

// The world of finding 1: acme's namespace is labelled acme; mallory, a namespace user
// elsewhere, creates identities that claim acme; beta's namespace belongs to beta.
const NAMESPACE_TENANTS = new Map([
  ["payments", "acme"],
  ["shop", "acme"],
  ["beta", "beta"],
]);
const claims: IdentityClaim[] = [
  { namespace: "payments", name: "ledger", serviceAccount: "ledger", claimedTenant: "acme", workloadSelector: { app: "ledger" } },
  { namespace: "shop", name: "cart", serviceAccount: "cart", workloadSelector: { app: "cart" } },
  { namespace: "mallory", name: "spy", serviceAccount: "spy", claimedTenant: "acme", workloadSelector: { app: "spy" } },
  { namespace: "beta", name: "odd", serviceAccount: "odd", claimedTenant: "acme", workloadSelector: { app: "odd" } },
  { namespace: "beta", name: "native", serviceAccount: "native", workloadSelector: { app: "native" } },
];

function renderIn(spec: AccessPolicySpec, namespaceTenants: ReadonlyMap<string, string> = NAMESPACE_TENANTS, namespace = "payments") {
  const facts = claims.map((claim) => verifiedFacts(claim, namespaceTenants.get(claim.namespace)));
  return renderAccessPolicy(accessPolicy(spec, { namespace }), identityLookupOf(facts, namespaceTenants), config);
}

const allowFrom = (source: AccessSource, extra: Partial<AccessPolicySpec> = {}): AccessPolicySpec => ({ targetIdentity: "ledger", rules: [{ from: [source] }], ...extra });

describe("finding 1: a tenant source admits the tenant's verified members only", () => {
  it("leaves identities that claim the tenant from other namespaces out of an Allow, and names them (TenantNotVerified)", () => {
    const result = renderIn(allowFrom({ tenant: "acme" }));
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { principals: [principalOf("payments", "ledger"), principalOf("shop", "cart")] } }] }]);
    expect(result.unresolved).toEqual([
      {
        rule: 0,
        source: 0,
        effect: "Narrowed",
        reason: SourceReason.TenantNotVerified,
        message: expect.stringContaining("beta/odd, mallory/spy claim it in spec.tenant"),
        engines: ["beta/odd", "mallory/spy"],
      },
    ]);
  });

  it("admits the claimant once an administrator labels its namespace with the tenant", () => {
    const relabelled = new Map([...NAMESPACE_TENANTS, ["mallory", "acme"]]);
    const result = renderIn(allowFrom({ tenant: "acme" }), relabelled);
    expect(authorizationSpec(result).rules?.[0]?.from?.[0]?.source?.principals).toContain(principalOf("mallory", "spy"));
  });

  it("leaves a tenant source whose only identities are claimants out of an Allow, allowing nothing", () => {
    const result = renderIn(allowFrom({ tenant: "acme" }), new Map());
    expect(result.unresolved).toEqual([expect.objectContaining({ effect: "LeftOut", reason: SourceReason.TenantNotVerified, engines: ["beta/odd", "mallory/spy", "payments/ledger"] })]);
    expect(authorizationSpec(result).rules).toBeUndefined();
  });

  it.each(["Deny", "Audit"] as const)("keeps claimants in a %s tenant source: a claim restricts", (action) => {
    const result = renderIn({ action, rules: [{ from: [{ tenant: "acme" }] }] });
    const principals = authorizationSpec(result).rules?.[0]?.from?.[0]?.source?.principals;
    expect(principals).toEqual([principalOf("beta", "odd"), principalOf("mallory", "spy"), principalOf("payments", "ledger"), principalOf("shop", "cart")]);
    expect(result.unresolved).toEqual([]);
  });
});

describe("tenant isolation with namespace tenants and unverified claims", () => {
  it("isolates a target that claims a tenant as a member of it would be", () => {
    // spy claims acme without being a member: a policy protecting it still keeps beta out.
    const result = renderIn({ targetIdentity: "spy", rules: [{ from: [{ identity: { name: "native", namespace: "beta" } }] }] }, NAMESPACE_TENANTS, "mallory");
    expect(result.unresolved).toEqual([expect.objectContaining({ effect: "LeftOut", reason: SourceReason.CrossTenant })]);
  });

  it.each<[string, AccessSource, string]>([
    ["a namespace the administrators gave to another tenant", { namespace: "beta" }, "namespace beta, which belongs to tenant beta"],
    ["a principal of such a namespace, even without an EngineIdentity", { principal: "spiffe://cluster.local/ns/beta/sa/unmanaged" }, "namespace beta, which belongs to tenant beta"],
    ["an identity in such a namespace that claims the target's tenant", { identity: { name: "odd", namespace: "beta" } }, "whose namespace belongs to tenant beta"],
  ])("leaves out of an Allow %s (CrossTenant)", (_what, source, message) => {
    const result = renderIn(allowFrom(source));
    expect(result.unresolved).toEqual([expect.objectContaining({ effect: "LeftOut", reason: SourceReason.CrossTenant, message: expect.stringContaining(message) })]);
    expect(authorizationSpec(result).rules).toBeUndefined();
  });

  it("counts an identity that claims another tenant as that tenant's when isolating", () => {
    const result = renderIn({ targetIdentity: "native", rules: [{ from: [{ identity: { name: "spy", namespace: "mallory" } }] }] }, NAMESPACE_TENANTS, "beta");
    expect(result.unresolved).toEqual([expect.objectContaining({ reason: SourceReason.CrossTenant, message: expect.stringContaining("tenant acme (claimed, not verified)") })]);
  });

  it("admits the same sources with allowCrossTenant", () => {
    const result = renderIn(allowFrom({ namespace: "beta" }, { allowCrossTenant: true }));
    expect(result.unresolved).toEqual([]);
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { namespaces: ["beta"] } }] }]);
  });
});
