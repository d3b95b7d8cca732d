// The action of an AccessPolicy, defaulted in one place, and its Istio spelling.
import type { AccessPolicy, AccessPolicySpec } from "../api/types.js";
import type { IstioAction } from "./istio-types.js";

export type PolicyAction = NonNullable<AccessPolicySpec["action"]>;

const ISTIO_ACTION: Record<PolicyAction, IstioAction> = { Allow: "ALLOW", Deny: "DENY", Audit: "AUDIT" };

export function actionOf(policy: AccessPolicy): PolicyAction {
  return policy.spec.action ?? "Allow";
}

export function istioActionOf(action: PolicyAction): IstioAction {
  return ISTIO_ACTION[action];
}
