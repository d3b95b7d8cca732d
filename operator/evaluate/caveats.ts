// Fields of a policy the request model cannot answer. They are evaluated as if absent,
// which can make a rule match more than Istio would; naming them keeps an explanation
// honest instead of silently wrong.
import type { AuthorizationPolicyObject, RuleSpec } from "./authorization-policy.js";
import { isModelledConditionKey } from "./conditions.js";

const UNMODELLED_SOURCE_FIELDS = ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"] as const;
const UNMODELLED_OPERATION_FIELDS = ["hosts", "notHosts"] as const;

export function caveatsOf(policy: AuthorizationPolicyObject): string[] {
  const where = `${policy.metadata.namespace}/${policy.metadata.name}`;
  const out: string[] = [];
  if (policy.spec?.action === "CUSTOM" && !policy.spec.provider?.name) {
    out.push(`${where} is CUSTOM without a provider name, which Istio rejects`);
  }
  (policy.spec?.rules ?? []).forEach((rule, index) => {
    for (const field of unmodelledFieldsOf(rule)) {
      out.push(`${where} rules[${index}] uses ${field}, which this evaluator does not model; it was treated as absent`);
    }
  });
  return out;
}

export function unmodelledFieldsOf(rule: RuleSpec): string[] {
  const fields = new Set<string>();
  for (const { source } of rule.from ?? []) {
    for (const field of UNMODELLED_SOURCE_FIELDS) if (source?.[field]?.length) fields.add(field);
  }
  for (const { operation } of rule.to ?? []) {
    for (const field of UNMODELLED_OPERATION_FIELDS) if (operation?.[field]?.length) fields.add(field);
  }
  for (const condition of rule.when ?? []) {
    if (!isModelledConditionKey(condition.key ?? "")) fields.add(`the condition key "${condition.key ?? ""}"`);
  }
  return [...fields].sort();
}
