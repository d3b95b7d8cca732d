// The sentences of a verdict. Kept apart from the decision logic so wording can change
// without touching semantics.
import type { PolicyRef, PolicyRuleRef } from "./verdict.js";

const named = (p: PolicyRef) => `${p.namespace}/${p.name}`;
const ruleOf = (p: PolicyRuleRef) => `rule ${p.ruleIndex}`;

export const reasons = {
  customDenied: (provider: string, policy: PolicyRuleRef) =>
    `Denied: CUSTOM policy ${named(policy)} (${ruleOf(policy)}) delegates the request to provider "${provider}", which denied it.`,
  denyMatched: (policy: PolicyRuleRef) => `Denied: DENY policy ${named(policy)} matches the request (${ruleOf(policy)}).`,
  noAllowPolicy: () => "Allowed: no DENY policy matches, and no ALLOW policy applies to the workload, so Istio allows by default.",
  allowMatched: (policy: PolicyRuleRef) => `Allowed: ALLOW policy ${named(policy)} admits the request (${ruleOf(policy)}).`,
  noAllowMatched: (applicable: { policy: PolicyRef; ruleCount: number }[]) => {
    const list = applicable.map(({ policy, ruleCount }) => (ruleCount === 0 ? `${named(policy)} (no rules: allows nothing)` : named(policy)));
    const plural = applicable.length === 1 ? "policy applies" : "policies apply";
    return `Denied: ${applicable.length} ALLOW ${plural} to the workload (${list.join(", ")}) and none of their rules matches the request.`;
  },
  customAllowedPrefix: (providers: string[]) =>
    `Provider${providers.length === 1 ? "" : "s"} ${providers.map((p) => `"${p}"`).join(", ")} of the matching CUSTOM ${providers.length === 1 ? "policy" : "policies"} allowed the request. `,
};
