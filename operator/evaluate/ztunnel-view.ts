// What ztunnel enforces of an AuthorizationPolicy, as istiod's ambient conversion gives it
// (istio.io/istio pilot/pkg/serviceregistry/ambient/authorization.go, convertAuthorizationPolicy
// and handleRule):
// - a policy with targetRefs is for waypoints and never reaches ztunnel;
// - CUSTOM and AUDIT are not sent, nor a dry-run policy (ambient dry-run is off by default);
// - an ALLOW rule with any HTTP attribute is dropped whole (nothing admitted by it);
// - a DENY rule keeps only its L4 fields: its HTTP attributes are removed and the rest still
//   matches (so it denies more than written).
// The result is a policy the ordinary evaluator decides on the L4 attributes of a connection.
import { actionOf, isDryRun, type AuthorizationPolicyObject, type ConditionSpec, type OperationSpec, type RuleSpec, type SourceSpec } from "./authorization-policy.js";

/** `when` keys istiod passes to ztunnel; every other key is an HTTP attribute. */
const L4_CONDITION_KEYS = new Set(["source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"]);
const L7_OPERATION_FIELDS = ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"] as const;
const L7_SOURCE_FIELDS = ["remoteIpBlocks", "notRemoteIpBlocks", "requestPrincipals", "notRequestPrincipals"] as const;

export function hasTargetRefs(policy: AuthorizationPolicyObject): boolean {
  return (policy.spec?.targetRefs?.length ?? 0) > 0 || policy.spec?.targetRef !== undefined;
}

/** The policy as ztunnel holds it, or undefined when istiod sends ztunnel nothing of it. */
export function ztunnelView(policy: AuthorizationPolicyObject): AuthorizationPolicyObject | undefined {
  if (hasTargetRefs(policy) || isDryRun(policy)) return undefined;
  const action = actionOf(policy);
  if (action !== "ALLOW" && action !== "DENY") return undefined;
  const rules = policy.spec?.rules ?? [];
  const converted = action === "ALLOW" ? rules.filter((rule) => !hasL7(rule)) : rules.map(l4PartOf);
  return { metadata: policy.metadata, spec: { ...policy.spec, action, rules: converted } };
}

export function hasL7(rule: RuleSpec): boolean {
  return (
    (rule.to ?? []).some(({ operation }) => L7_OPERATION_FIELDS.some((field) => (operation?.[field]?.length ?? 0) > 0)) ||
    (rule.from ?? []).some(({ source }) => L7_SOURCE_FIELDS.some((field) => (source?.[field]?.length ?? 0) > 0)) ||
    (rule.when ?? []).some((condition) => !L4_CONDITION_KEYS.has(condition.key ?? ""))
  );
}

function l4PartOf(rule: RuleSpec): RuleSpec {
  const out: RuleSpec = {};
  if (rule.from) out.from = rule.from.map(({ source }) => ({ source: without(source ?? {}, L7_SOURCE_FIELDS) as SourceSpec }));
  if (rule.to) out.to = rule.to.map(({ operation }) => ({ operation: without(operation ?? {}, L7_OPERATION_FIELDS) as OperationSpec }));
  // A condition on an HTTP attribute becomes a match without fields in ztunnel: always true.
  const when: ConditionSpec[] = (rule.when ?? []).filter((condition) => L4_CONDITION_KEYS.has(condition.key ?? ""));
  if (when.length > 0) out.when = when;
  return out;
}

function without<T extends object>(value: T, fields: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !fields.includes(key))) as Partial<T>;
}
