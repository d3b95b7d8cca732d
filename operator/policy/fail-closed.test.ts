import { describe, expect, it } from "vitest";
import type { AccessPolicySpec, AccessSource } from "../api/types.js";
import { SourceReason, TargetReason } from "./reasons.js";
import { authorizationSpec, findObject, identity, NAMESPACE, principalOf, render } from "./test-fixtures.js";

const target = identity(NAMESPACE, "ledger");
const billing = identity(NAMESPACE, "billing");
const issuer = { issuer: "https://idp.example", jwks: '{"keys":[{"kty":"EC","x":"secret-looking-x"}]}' };

describe("semantic 2: fail closed", () => {
  it.each<[string, AccessSource, string]>([
    ["a missing identity", { identity: { name: "ghost" } }, SourceReason.IdentityNotFound],
    ["a missing identity in another namespace", { identity: { name: "billing", namespace: "other" } }, SourceReason.IdentityNotFound],
    ["a tenant no identity belongs to", { tenant: "nobody" }, SourceReason.TenantEmpty],
    ["a jwt issuer not declared in authentication.jwt", { jwt: { issuer: "https://unknown.example" } }, SourceReason.IssuerNotDeclared],
    ["a principal that is not a SPIFFE ID", { principal: "cluster.local/ns/x/sa/y" }, SourceReason.InvalidPrincipal],
    ["a source that sets two kinds", { tenant: "a", namespace: "b" }, SourceReason.InvalidSource],
    ["a source that sets no kind", {}, SourceReason.InvalidSource],
    ["a jwt claim without accepted values", { jwt: { issuer: issuer.issuer, claims: { role: [] as unknown as [string] } } }, SourceReason.InvalidSource],
  ])("leaves out %s, says why, and still enforces the rest of the rule", (_what, bad, reason) => {
    const result = render(
      { targetIdentity: "ledger", authentication: { jwt: [issuer] }, rules: [{ from: [{ identity: { name: "billing" } }, bad] }] },
      [target, billing],
    );
    expect(result.unresolved).toEqual([{ rule: 0, source: 1, effect: "LeftOut", reason, message: expect.stringContaining("rules[0].from[1]") }]);
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { principals: [principalOf(NAMESPACE, "billing")] } }] }]);
    expect(result.resolvedSources).toBe(1);
  });

  it("never puts key material or tokens into messages", () => {
    const result = render(
      { targetIdentity: "ledger", authentication: { jwt: [issuer] }, rules: [{ from: [{ jwt: { issuer: "https://unknown.example" } }, { identity: { name: "ghost" } }] }] },
      [target],
    );
    expect(result.unresolved).toHaveLength(2);
    for (const entry of result.unresolved) expect(entry.message).not.toContain("secret-looking-x");
  });

  it("says what to fix in each message", () => {
    const result = render({ targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "ghost" } }] }] }, [target]);
    expect(result.unresolved[0]?.message).toBe(
      "rules[0].from[0] names EngineIdentity payments/ghost, which does not exist; create it or correct the reference",
    );
  });

  it.each<[string, AccessPolicySpec["action"]]>([
    ["Allow", "Allow"],
    ["Deny", "Deny"],
    ["Audit", "Audit"],
  ])("a %s rule whose sources all fail to resolve yields no Istio rule (never one without from)", (_name, action) => {
    const result = render(
      {
        targetIdentity: "ledger",
        action,
        rules: [{ from: [{ principal: "not-a-spiffe-id" }, { tenant: "nobody" }], to: [{ methods: ["GET"] }] }, { from: [{ identity: { name: "billing" } }] }],
      },
      [target, billing],
    );
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { principals: [principalOf(NAMESPACE, "billing")] } }] }]);
    expect(result.unresolved.map((u) => [u.rule, u.source])).toEqual([[0, 0], [0, 1]]);
  });

  it("a rule whose sources all fail allows nothing: an ALLOW policy left without rules allows nothing", () => {
    const result = render({ targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "ghost" } }] }] }, [target]);
    expect(authorizationSpec(result)).toEqual({ selector: { matchLabels: { app: "ledger" } }, action: "ALLOW" });
  });

  it("does not render a DENY policy whose rules all fail: Istio refuses a DENY without rules, and it would deny nothing", () => {
    const result = render({ targetIdentity: "ledger", action: "Deny", rules: [{ from: [{ tenant: "nobody" }] }] }, [target]);
    expect(result.objects).toEqual([]);
  });

  it.each<[string, AccessPolicySpec["action"], string]>([
    ["Deny", "Deny", "DENY"],
    ["Audit", "Audit", "AUDIT"],
  ])("a %s of a missing identity matches the principal its name would have with the default service account, and says so", (_name, action, istioAction) => {
    const result = render({ targetIdentity: "ledger", action, rules: [{ from: [{ identity: { name: "ghost" } }, { identity: { name: "spy", namespace: "other" } }] }] }, [target]);
    expect(authorizationSpec(result)).toEqual({
      selector: { matchLabels: { app: "ledger" } },
      action: istioAction,
      rules: [{ from: [{ source: { principals: [principalOf("other", "spy"), principalOf(NAMESPACE, "ghost")] } }] }],
    });
    expect(result.unresolved).toEqual([
      { rule: 0, source: 0, effect: "Assumed", reason: SourceReason.IdentityNotFound, message: `rules[0].from[0] names EngineIdentity payments/ghost, which does not exist; matched as ${principalOf(NAMESPACE, "ghost")}, the principal it would have with its default service account` },
      { rule: 0, source: 1, effect: "Assumed", reason: SourceReason.IdentityNotFound, message: expect.stringContaining(principalOf("other", "spy")) },
    ]);
  });

  it("an Allow of a missing identity is still left out: assuming a principal there would widen access", () => {
    const result = render({ targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "ghost" } }] }] }, [target]);
    expect(authorizationSpec(result).rules).toBeUndefined();
    expect(result.unresolved.map((u) => u.effect)).toEqual(["LeftOut"]);
  });

  it.each<[AccessPolicySpec["action"], string]>([
    ["Deny", "DENY"],
    ["Audit", "AUDIT"],
  ])("renders a %s rule written without from without from: it is meant to match every caller", (action, istioAction) => {
    const result = render({ targetIdentity: "ledger", action, rules: [{ to: [{ paths: ["/admin/*"] }] }] }, [target]);
    expect(authorizationSpec(result)).toEqual({
      selector: { matchLabels: { app: "ledger" } },
      action: istioAction,
      rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }],
    });
    // With a rule for every operation beside it, the two are one rule matching everything.
    const both = render({ targetIdentity: "ledger", action, rules: [{ to: [{ paths: ["/admin/*"] }] }, {}] }, [target]);
    expect(authorizationSpec(both).rules).toEqual([{}]);
  });

  it("semantic 3 in depth: an Allow rule without from that got past admission admits nobody", () => {
    const result = render({ targetIdentity: "ledger", rules: [{ to: [{ methods: ["GET"] }] }, { from: [] }] }, [target]);
    expect(authorizationSpec(result).rules).toBeUndefined();
  });

  it.each([
    ["does not exist", [billing], TargetReason.TargetNotFound],
    ["has no workload selector", [identity(NAMESPACE, "ledger", { workloadSelector: undefined })], TargetReason.TargetHasNoWorkloadSelector],
    ["has an empty workload selector", [identity(NAMESPACE, "ledger", { workloadSelector: {} })], TargetReason.TargetHasNoWorkloadSelector],
    ["lives in another namespace only", [identity("other", "ledger")], TargetReason.TargetNotFound],
  ])("renders nothing, not a namespace-wide policy, when the target identity %s", (_what, identities, reason) => {
    const result = render(
      { targetIdentity: "ledger", mtls: "Permissive", authentication: { jwt: [issuer], requireJWT: true }, rules: [{ from: [{ identity: { name: "billing" } }] }] },
      identities,
    );
    expect(result.objects).toEqual([]);
    expect(result.target).toEqual({ resolved: false, reason, message: expect.stringContaining("payments/ledger") });
    expect(result.policyHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("deny rules on token issuers declared elsewhere", () => {
  const ledger = identity(NAMESPACE, "ledger", { workloadSelector: { app: "ledger" } });

  it("still renders a Deny on an issuer the policy does not declare, because it can only narrow access", () => {
    const result = render({ targetIdentity: "ledger", action: "Deny", rules: [{ from: [{ jwt: { issuer: "https://idp-1.example" } }] }] }, [ledger]);
    expect(result.unresolved).toEqual([]);
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { requestPrincipals: ["https://idp-1.example/*"] } }] }]);
  });

  it("leaves out an Allow on an undeclared issuer, which no token could ever match", () => {
    const result = render({ targetIdentity: "ledger", rules: [{ from: [{ jwt: { issuer: "https://idp-1.example" } }] }] }, [ledger]);
    expect(result.unresolved.map((u) => u.reason)).toEqual([SourceReason.IssuerNotDeclared]);
    expect(authorizationSpec(result).rules ?? []).toEqual([]);
  });
});
