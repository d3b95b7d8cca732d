// The shape of an Istio AuthorizationPolicy (security.istio.io/v1) as plain JSON: the
// subset of fields the evaluator reads. Declared here rather than taken from
// @kubernetes-models/istio, whose generated type is a union that plain objects (parsed
// YAML, rendered objects) do not satisfy without casts.

export type AuthorizationAction = "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";

export interface SourceSpec {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

export interface OperationSpec {
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
  ports?: string[];
  notPorts?: string[];
  hosts?: string[];
  notHosts?: string[];
}

export interface ConditionSpec {
  key?: string;
  values?: string[];
  notValues?: string[];
}

export interface RuleSpec {
  from?: { source?: SourceSpec }[];
  to?: { operation?: OperationSpec }[];
  when?: ConditionSpec[];
}

/** A policy's binding to a Service or Gateway (waypoints and gateways; sidecars and ztunnel ignore such a policy). */
export interface PolicyTargetReferenceSpec {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface AuthorizationPolicySpec {
  action?: AuthorizationAction;
  targetRef?: PolicyTargetReferenceSpec;
  targetRefs?: PolicyTargetReferenceSpec[];
  provider?: { name?: string };
  selector?: { matchLabels?: Record<string, string | undefined> };
  rules?: RuleSpec[];
}

export interface AuthorizationPolicyObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string | undefined> };
  spec?: AuthorizationPolicySpec;
}

export const DRY_RUN_ANNOTATION = "istio.io/dry-run";

export function actionOf(policy: AuthorizationPolicyObject): AuthorizationAction {
  return policy.spec?.action ?? "ALLOW";
}

/** Istio reads the annotation with Go's strconv.ParseBool, so these are its spellings of true. */
export function isDryRun(policy: AuthorizationPolicyObject): boolean {
  const value = policy.metadata.annotations?.[DRY_RUN_ANNOTATION];
  return value !== undefined && ["1", "t", "T", "true", "TRUE", "True"].includes(value);
}

export function rulesOf(policy: AuthorizationPolicyObject): RuleSpec[] {
  return policy.spec?.rules ?? [];
}
