// Istio's order of evaluation over the policies that apply to a workload:
// 1. a matching CUSTOM policy hands the request to its provider; a provider's "deny" is final;
// 2. any matching DENY policy denies;
// 3. with no ALLOW policy the request is allowed; otherwise some ALLOW rule must match.
// AUDIT policies take no part. Callers pass only the policies that are enforced.
import type { PolicyRef, PolicyRuleRef, Decision, Delegation } from "./verdict.js";
import { reasons } from "./reasons.js";

export interface EvaluatedPolicy {
  ref: PolicyRef;
  /** The CUSTOM provider's name; "" when the policy names none. */
  provider: string;
  ruleCount: number;
  /** Index of the first matching rule; undefined when no rule matches. */
  matchedRule: number | undefined;
}

export type CustomDecision = (provider: string) => boolean;

/** Istio cannot reach an unnamed or unreachable provider either, and fails closed. */
export const denyCustom: CustomDecision = () => false;

export function decide(policies: readonly EvaluatedPolicy[], customDecision: CustomDecision): Decision {
  const matched = (action: PolicyRef["action"]) =>
    policies.filter((p) => p.ref.action === action && p.matchedRule !== undefined).map((p) => ({ ...p, hit: withRule(p) }));

  const delegations: Delegation[] = [];
  // One call per provider, as Envoy makes one ext_authz check per request for a provider.
  const byProvider = new Map<string, PolicyRuleRef>();
  for (const custom of matched("CUSTOM")) if (!byProvider.has(custom.provider)) byProvider.set(custom.provider, custom.hit);
  for (const provider of [...byProvider.keys()].sort()) {
    const policy = byProvider.get(provider)!;
    const allowed = customDecision(provider);
    delegations.push({ provider, policy, allowed });
    if (!allowed) return { allowed: false, decidingPolicy: policy, reason: reasons.customDenied(provider, policy), delegations };
  }
  const prefix = delegations.length > 0 ? reasons.customAllowedPrefix(delegations.map((d) => d.provider)) : "";

  const deny = matched("DENY")[0];
  if (deny) return { allowed: false, decidingPolicy: deny.hit, reason: prefix + reasons.denyMatched(deny.hit), delegations };

  const allowPolicies = policies.filter((p) => p.ref.action === "ALLOW");
  if (allowPolicies.length === 0) return { allowed: true, reason: prefix + reasons.noAllowPolicy(), delegations };
  const allow = matched("ALLOW")[0];
  if (allow) return { allowed: true, decidingPolicy: allow.hit, reason: prefix + reasons.allowMatched(allow.hit), delegations };
  return {
    allowed: false,
    reason: prefix + reasons.noAllowMatched(allowPolicies.map((p) => ({ policy: p.ref, ruleCount: p.ruleCount }))),
    delegations,
  };
}

function withRule(policy: EvaluatedPolicy): PolicyRuleRef {
  return { ...policy.ref, ruleIndex: policy.matchedRule ?? -1 };
}
