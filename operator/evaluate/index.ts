// Public surface of the evaluator: what a later explain/diff CLI and the tests use.
export { connectionOf, evaluateRequest, policiesAtHops, type EvaluationOptions, type HopPolicies } from "./evaluate.js";
export type { AccessRequest, WaypointHop } from "./request.js";
export { ztunnelView } from "./ztunnel-view.js";
export type { AuthorizationPolicyObject, AuthorizationAction, RuleSpec, SourceSpec, OperationSpec, ConditionSpec } from "./authorization-policy.js";
export { DRY_RUN_ANNOTATION } from "./authorization-policy.js";
export { DEFAULT_ROOT_NAMESPACE, type Workload } from "./applicability.js";
export type { CustomDecision } from "./decide.js";
export type { Verdict, Decision, Delegation, PolicyRef, PolicyRuleRef, Enforcer } from "./verdict.js";
