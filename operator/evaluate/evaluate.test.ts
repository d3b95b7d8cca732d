import { describe, expect, it } from "vitest";
import type { AuthorizationPolicyObject } from "./authorization-policy.js";
import { evaluateRequest } from "./evaluate.js";
import { CALLER, policy, request, withToken } from "./testing/request-builders.js";

const DRY_RUN = { "istio.io/dry-run": "true" };
const allowNothing = (ns = "shop") => policy(ns, "allow-nothing", {});
const allowCaller = (ns = "shop", name = "allow-caller") => policy(ns, name, { action: "ALLOW", rules: [{ from: [{ source: { principals: [CALLER] } }] }] });
const denyGet = (ns = "shop", name = "deny-get") => policy(ns, name, { action: "DENY", rules: [{ to: [{ operation: { methods: ["POST"] } }] }, { to: [{ operation: { methods: ["GET"] } }] }] });
const allowed = (policies: AuthorizationPolicyObject[], req = request(), options = {}) => evaluateRequest(policies, req, options).allowed;

describe("which policies apply to a workload", () => {
  it("with no policy at all, requests are allowed", () => {
    expect(allowed([])).toBe(true);
  });
  it("a policy without selector applies to every workload of its namespace", () => {
    expect(allowed([allowNothing()])).toBe(false);
  });
  it("a policy whose selector matches the workload's labels applies", () => {
    expect(allowed([policy("shop", "p", { selector: { matchLabels: { app: "backend" } } })])).toBe(false);
  });
  it("a policy whose selector does not match the workload's labels does not apply", () => {
    expect(allowed([policy("shop", "p", { selector: { matchLabels: { app: "other" } } })])).toBe(true);
  });
  it("an empty selector selects every workload of the namespace", () => {
    expect(allowed([policy("shop", "p", { selector: { matchLabels: {} } })])).toBe(false);
  });
  it("a policy of another namespace does not apply", () => {
    expect(allowed([allowNothing("billing")])).toBe(true);
  });
  it("a policy of the root namespace (istio-system by default) applies mesh-wide", () => {
    expect(allowed([allowNothing("istio-system")])).toBe(false);
  });
  it("a root-namespace policy still needs its selector to match", () => {
    expect(allowed([policy("istio-system", "p", { selector: { matchLabels: { app: "other" } } })])).toBe(true);
  });
  it("the root namespace is configurable", () => {
    expect(allowed([allowNothing("mesh-root")], request(), { rootNamespace: "mesh-root" })).toBe(false);
    expect(allowed([allowNothing("istio-system")], request(), { rootNamespace: "mesh-root" })).toBe(true);
  });
});

describe("order of evaluation: CUSTOM, then DENY, then ALLOW", () => {
  const custom = policy("shop", "ext", { action: "CUSTOM", provider: { name: "opa" }, rules: [{}] });

  it("a matching CUSTOM policy delegates to its provider, which denies by default", () => {
    const verdict = evaluateRequest([custom], request());
    expect(verdict.allowed).toBe(false);
    expect(verdict.decidingPolicy).toEqual({ namespace: "shop", name: "ext", action: "CUSTOM", ruleIndex: 0 });
    expect(verdict.delegations).toEqual([{ provider: "opa", policy: verdict.decidingPolicy, allowed: false }]);
    expect(verdict.reason).toContain('provider "opa"');
  });
  it("a CUSTOM provider that allows lets DENY and ALLOW policies decide next", () => {
    const options = { customDecision: (provider: string) => provider === "opa" };
    expect(allowed([custom], request(), options)).toBe(true);
    expect(allowed([custom, denyGet()], request(), options)).toBe(false);
    expect(allowed([custom, allowNothing()], request(), options)).toBe(false);
    expect(evaluateRequest([custom], request(), options).delegations).toHaveLength(1);
  });
  it("a CUSTOM policy that does not match asks no provider", () => {
    const notMatching = policy("shop", "ext", { action: "CUSTOM", provider: { name: "opa" }, rules: [{ to: [{ operation: { methods: ["POST"] } }] }] });
    let asked = 0;
    const verdict = evaluateRequest([notMatching], request(), { customDecision: () => (asked++, false) });
    expect(verdict.allowed).toBe(true);
    expect(asked).toBe(0);
  });
  it("any matching DENY policy denies, even when an ALLOW policy matches", () => {
    const verdict = evaluateRequest([allowCaller(), denyGet()], request());
    expect(verdict.allowed).toBe(false);
    expect(verdict.decidingPolicy).toEqual({ namespace: "shop", name: "deny-get", action: "DENY", ruleIndex: 1 });
  });
  it("a DENY policy that does not match changes nothing", () => {
    expect(allowed([denyGet()], request({ operation: { method: "PUT" } }))).toBe(true);
  });
  it("a DENY policy without rules denies nothing", () => {
    expect(allowed([policy("shop", "d", { action: "DENY" })])).toBe(true);
  });
  it("with no ALLOW policy applicable, the request is allowed", () => {
    const verdict = evaluateRequest([denyGet()], request({ operation: { method: "PUT" } }));
    expect(verdict.allowed).toBe(true);
    expect(verdict.decidingPolicy).toBeUndefined();
    expect(verdict.reason).toMatch(/no ALLOW policy applies/);
  });
  it("an ALLOW policy with no rules matches nothing, so the workload denies everything", () => {
    const verdict = evaluateRequest([allowNothing()], request());
    expect(verdict.allowed).toBe(false);
    expect(verdict.decidingPolicy).toBeUndefined();
    expect(verdict.reason).toContain("shop/allow-nothing (no rules: allows nothing)");
  });
  it("an ALLOW policy with an empty rule allows everything", () => {
    expect(allowed([policy("shop", "all", { rules: [{}] }), allowNothing()])).toBe(true);
  });
  it("with ALLOW policies applicable, a request is allowed only when some ALLOW rule matches", () => {
    expect(allowed([allowNothing(), allowCaller()])).toBe(true);
    expect(allowed([allowNothing(), allowCaller()], request({ source: { principal: "cluster.local/ns/x/sa/y" } }))).toBe(false);
  });
  it("ALLOW policies of the namespace and of the root namespace are one set", () => {
    expect(allowed([allowNothing("shop"), allowCaller("istio-system")])).toBe(true);
  });
  it("the deciding ALLOW policy and rule are reported", () => {
    const verdict = evaluateRequest([allowNothing(), allowCaller()], request());
    expect(verdict.decidingPolicy).toEqual({ namespace: "shop", name: "allow-caller", action: "ALLOW", ruleIndex: 0 });
    expect(verdict.reason).toBe("Allowed: ALLOW policy shop/allow-caller admits the request (rule 0).");
  });
  it("requireJWT's DENY notRequestPrincipals [*] rejects requests without a token and only those", () => {
    const requireJwt = policy("shop", "require-jwt", { action: "DENY", rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }] });
    expect(allowed([requireJwt])).toBe(false);
    expect(allowed([requireJwt], request({ source: withToken("alice") }))).toBe(true);
  });
});

describe("dry-run policies are evaluated and reported, never enforced", () => {
  it("a matching dry-run DENY policy does not deny, and is reported", () => {
    const verdict = evaluateRequest([policy("shop", "dry-deny", { action: "DENY", rules: [{}] }, DRY_RUN)], request());
    expect(verdict.allowed).toBe(true);
    expect(verdict.dryRunMatches).toEqual([{ namespace: "shop", name: "dry-deny", action: "DENY", ruleIndex: 0 }]);
    expect(verdict.ifDryRunEnforced?.allowed).toBe(false);
  });
  it("a dry-run ALLOW policy does not turn the workload to deny-by-default", () => {
    const verdict = evaluateRequest([policy("shop", "dry-allow", { rules: [{ to: [{ operation: { methods: ["POST"] } }] }] }, DRY_RUN)], request());
    expect(verdict.allowed).toBe(true);
    expect(verdict.dryRunMatches).toEqual([]);
    expect(verdict.ifDryRunEnforced?.allowed).toBe(false);
  });
  it("a dry-run ALLOW policy does not admit a request the enforced policies deny", () => {
    const verdict = evaluateRequest([allowNothing(), { ...allowCaller(), metadata: { ...allowCaller().metadata, annotations: DRY_RUN } }], request());
    expect(verdict.allowed).toBe(false);
    expect(verdict.dryRunMatches).toHaveLength(1);
    expect(verdict.ifDryRunEnforced?.allowed).toBe(true);
  });
  it("the annotation is read as a Go boolean; other values do not make a policy dry-run", () => {
    expect(allowed([policy("shop", "d", { action: "DENY", rules: [{}] }, { "istio.io/dry-run": "True" })])).toBe(true);
    expect(allowed([policy("shop", "d", { action: "DENY", rules: [{}] }, { "istio.io/dry-run": "false" })])).toBe(false);
    expect(allowed([policy("shop", "d", { action: "DENY", rules: [{}] }, { "istio.io/dry-run": "yes" })])).toBe(false);
  });
  it("without dry-run policies there is no what-if decision", () => {
    expect(evaluateRequest([allowNothing()], request()).ifDryRunEnforced).toBeUndefined();
  });
});

describe("AUDIT policies never change the decision", () => {
  const audit = policy("shop", "audit-all", { action: "AUDIT", rules: [{}] });
  it("a matching AUDIT policy is reported and the request stays allowed", () => {
    const verdict = evaluateRequest([audit], request());
    expect(verdict.allowed).toBe(true);
    expect(verdict.auditMatches).toEqual([{ namespace: "shop", name: "audit-all", action: "AUDIT", ruleIndex: 0 }]);
  });
  it("a matching AUDIT policy does not admit a request the ALLOW policies deny", () => {
    const verdict = evaluateRequest([audit, allowNothing()], request());
    expect(verdict.allowed).toBe(false);
    expect(verdict.auditMatches).toHaveLength(1);
  });
  it("an AUDIT policy does not count as an ALLOW policy", () => {
    expect(allowed([policy("shop", "audit-post", { action: "AUDIT", rules: [{ to: [{ operation: { methods: ["POST"] } }] }] })])).toBe(true);
  });
});

describe("the verdict", () => {
  it("does not depend on the order the policies are given in", () => {
    const policies = [allowCaller("shop", "b"), allowCaller("shop", "a"), allowNothing(), denyGet("istio-system", "z")];
    const reversed = [...policies].reverse();
    expect(evaluateRequest(reversed, request({ operation: { method: "PUT" } }))).toEqual(evaluateRequest(policies, request({ operation: { method: "PUT" } })));
    expect(evaluateRequest(policies, request({ operation: { method: "PUT" } })).decidingPolicy?.name).toBe("a");
  });
  it("names the fields it could not check", () => {
    const verdict = evaluateRequest([policy("shop", "by-ip", { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }] }] })], request());
    expect(verdict.caveats).toEqual(["shop/by-ip rules[0] uses ipBlocks, which this evaluator does not model; it was treated as absent"]);
  });
  it("has no caveats for policies that use only modelled fields", () => {
    expect(evaluateRequest([allowCaller(), denyGet()], request()).caveats).toEqual([]);
  });
});
