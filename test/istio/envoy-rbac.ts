// Reading istiod's Envoy filters (as the judge returns them) and stating what they must be
// for a set of rendered AuthorizationPolicies.
import { appliesTo, DEFAULT_ROOT_NAMESPACE } from "../../operator/evaluate/applicability.js";
import { actionOf, isDryRun, rulesOf, type AuthorizationPolicyObject, type RuleSpec } from "../../operator/evaluate/authorization-policy.js";
import type { EnvoyFilter, JudgeWorkload } from "../support/istio-judge.js";

export const RBAC_HTTP_FILTER = "envoy.filters.http.rbac";
export const RBAC_TCP_FILTER = "envoy.filters.network.rbac";
export const EXT_AUTHZ_HTTP_FILTER = "envoy.filters.http.ext_authz";
export const EXT_AUTHZ_TCP_FILTER = "envoy.filters.network.ext_authz";

/** Envoy's RBAC action: Istio's AUDIT is Envoy's LOG; ALLOW is protobuf's default and so absent from JSON. */
type RbacAction = "ALLOW" | "DENY" | "LOG";
export interface RbacRules {
  action?: RbacAction;
  policies?: Record<string, EnvoyPolicy>;
}
export interface EnvoyPolicy {
  permissions: unknown[];
  principals: unknown[];
}
export interface RbacConfig {
  "@type": string;
  rules?: RbacRules;
  shadowRules?: RbacRules;
  shadowRulesStatPrefix?: string;
}

/** The policy names of each kind of RBAC rule set, e.g. "ALLOW" or "DENY (shadow)". */
export type PolicyNamesByRuleSet = Record<string, string[]>;

/** The one Envoy policy Istio generates for a policy without rules: it never matches. */
export const MATCH_NEVER: EnvoyPolicy = {
  permissions: [{ notRule: { any: true } }],
  principals: [{ notId: { any: true } }],
};

const ENVOY_ACTION: Record<string, RbacAction> = { ALLOW: "ALLOW", DENY: "DENY", AUDIT: "LOG" };

export function envoyPolicyName(policy: AuthorizationPolicyObject, rule: number): string {
  return `ns[${policy.metadata.namespace}]-policy[${policy.metadata.name}]-rule[${rule}]`;
}

export function rbacFilters(filters: readonly EnvoyFilter[], name: string): RbacConfig[] {
  return filters.filter((f) => f.name === name).map((f) => f.config as unknown as RbacConfig);
}

/** The Envoy policies of the RBAC filters, by rule set. */
export function generatedPolicies(filters: readonly EnvoyFilter[], name: string): Map<string, Map<string, EnvoyPolicy>> {
  const out = new Map<string, Map<string, EnvoyPolicy>>();
  for (const config of rbacFilters(filters, name)) {
    for (const [rules, suffix] of [
      [config.rules, ""],
      [config.shadowRules, " (shadow)"],
    ] as const) {
      if (!rules) continue;
      const key = `${rules.action ?? "ALLOW"}${suffix}`;
      const set = out.get(key) ?? new Map<string, EnvoyPolicy>();
      for (const [policyName, policy] of Object.entries(rules.policies ?? {})) set.set(policyName, policy);
      out.set(key, set);
    }
  }
  return out;
}

export function namesOf(generated: Map<string, Map<string, EnvoyPolicy>>): PolicyNamesByRuleSet {
  return Object.fromEntries([...generated].map(([key, set]) => [key, [...set.keys()].sort()]).filter(([, names]) => names!.length > 0));
}

/**
 * What istiod must generate for a sidecar of the workload: one Envoy policy per rule of
 * each applicable ALLOW, DENY and AUDIT policy (dry-run ones in the shadow rules), and one
 * that never matches for a policy without rules. On TCP chains, an ALLOW rule that needs
 * HTTP attributes is left out (it could never match there) and nothing else is.
 */
export function expectedPolicyNames(policies: readonly AuthorizationPolicyObject[], workload: JudgeWorkload, chain: "http" | "tcp"): PolicyNamesByRuleSet {
  const out: Record<string, string[]> = {};
  for (const policy of policies) {
    const action = actionOf(policy);
    if (action === "CUSTOM" || !appliesTo(policy, workload, DEFAULT_ROOT_NAMESPACE)) continue;
    const key = `${ENVOY_ACTION[action]}${isDryRun(policy) ? " (shadow)" : ""}`;
    const rules = rulesOf(policy);
    const names = rules.length
      ? rules.flatMap((rule, index) => (chain === "tcp" && action === "ALLOW" && needsHttp(rule) ? [] : [envoyPolicyName(policy, index)]))
      : [envoyPolicyName(policy, 0)];
    if (names.length) out[key] = [...(out[key] ?? []), ...names];
  }
  for (const key of Object.keys(out)) out[key]!.sort();
  return out;
}

/** Fields only an HTTP request has: methods, paths, hosts, request principals, token conditions, headers. */
export function needsHttp(rule: RuleSpec): boolean {
  const httpOperation = (rule.to ?? []).some(({ operation }) =>
    ["methods", "notMethods", "paths", "notPaths", "hosts", "notHosts"].some((field) => (operation?.[field as keyof typeof operation]?.length ?? 0) > 0),
  );
  const httpSource = (rule.from ?? []).some(({ source }) => (source?.requestPrincipals?.length ?? 0) > 0 || (source?.notRequestPrincipals?.length ?? 0) > 0);
  const httpCondition = (rule.when ?? []).some((c) => /^request\./.test(c.key ?? ""));
  return httpOperation || httpSource || httpCondition;
}

export function isMatchNever(policy: EnvoyPolicy): boolean {
  return JSON.stringify(policy) === JSON.stringify(MATCH_NEVER);
}
