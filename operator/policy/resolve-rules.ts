// All rules of a policy -> Istio rules, plus the sources left out and how many resolved.
import type { AccessRule, UnresolvedSource } from "../api/types.js";
import { istioRulesFor } from "./istio-rules.js";
import type { IstioRule } from "./istio-types.js";
import type { PolicyAction } from "./policy-action.js";
import { resolveSource, type ResolvedSource, type SourceContext } from "./resolve-source.js";

export interface ResolvedRules {
  rules: IstioRule[];
  unresolved: UnresolvedSource[];
  resolvedSources: number;
}

export function resolveRules(rules: AccessRule[], action: PolicyAction, context: SourceContext): ResolvedRules {
  const result: ResolvedRules = { rules: [], unresolved: [], resolvedSources: 0 };
  rules.forEach((rule, ruleIndex) => {
    const resolved: ResolvedSource[] = [];
    (rule.from ?? []).forEach((source, sourceIndex) => {
      const outcome = resolveSource(source, `rules[${ruleIndex}].from[${sourceIndex}]`, context);
      const at = { rule: ruleIndex, source: sourceIndex };
      if (outcome.kind === "left-out") {
        const { reason, message, engines } = outcome;
        result.unresolved.push({ ...at, effect: "LeftOut", reason, message, ...(engines ? { engines } : {}) });
        return;
      }
      if (outcome.kind === "principals" && outcome.notes) {
        for (const { effect, reason, message, engines } of outcome.notes) {
          result.unresolved.push({ ...at, effect, reason, message, ...(engines ? { engines } : {}) });
        }
      }
      resolved.push(outcome);
    });
    result.resolvedSources += resolved.length;
    result.rules.push(...istioRulesFor(rule, resolved, action));
  });
  return result;
}
