// Which policies apply to a workload: those of its own namespace, and those of the mesh
// root namespace, which apply mesh-wide; in both cases only when their selector matches
// the workload's labels (no selector, or an empty one, selects every workload in scope).
import type { AuthorizationPolicyObject } from "./authorization-policy.js";

export const DEFAULT_ROOT_NAMESPACE = "istio-system";

export interface Workload {
  namespace: string;
  labels: Record<string, string>;
}

export function appliesTo(policy: AuthorizationPolicyObject, workload: Workload, rootNamespace: string): boolean {
  const namespace = policy.metadata.namespace;
  if (namespace !== workload.namespace && namespace !== rootNamespace) return false;
  return selectorMatches(policy.spec?.selector?.matchLabels ?? {}, workload.labels);
}

export function selectorMatches(matchLabels: Record<string, string | undefined>, labels: Record<string, string>): boolean {
  return Object.entries(matchLabels).every(([key, value]) => value === undefined || labels[key] === value);
}
