// The workloads a policy protects. A named target that cannot be selected renders nothing:
// falling back to a namespace-wide selector would widen an Allow to every workload.
import type { AccessPolicy } from "../api/types.js";
import type { IdentityFacts, IdentityLookup } from "./identity-lookup.js";
import type { WorkloadSelectorSpec } from "./istio-types.js";
import { TargetReason } from "./reasons.js";
import { sortedRecord } from "./sorted.js";

export type TargetResolution =
  | { resolved: true; selector?: WorkloadSelectorSpec; identity?: IdentityFacts }
  | { resolved: false; reason: string; message: string };

/** The selector field of a rendered spec: absent, not empty, when the policy is namespace-wide. */
export function selectorField(selector: WorkloadSelectorSpec | undefined): { selector?: WorkloadSelectorSpec } {
  return selector ? { selector } : {};
}

export function resolveTarget(policy: AccessPolicy, identities: IdentityLookup): TargetResolution {
  const name = policy.spec.targetIdentity;
  if (name === undefined) return { resolved: true };
  const { namespace } = policy.metadata;
  const identity = identities.get(namespace, name);
  if (!identity) {
    return {
      resolved: false,
      reason: TargetReason.TargetNotFound,
      message: `spec.targetIdentity names EngineIdentity ${namespace}/${name}, which does not exist; create it or correct spec.targetIdentity (nothing is rendered for this policy until then)`,
    };
  }
  // An empty matchLabels would select every workload of the namespace, so it counts as none.
  const labels = Object.entries(identity.workloadSelector ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (labels.length === 0) {
    return {
      resolved: false,
      reason: TargetReason.TargetHasNoWorkloadSelector,
      message: `target EngineIdentity ${namespace}/${name} has no spec.workloadSelector.matchLabels, so the policy cannot select its pods; add them (nothing is rendered for this policy until then)`,
    };
  }
  return { resolved: true, selector: { matchLabels: sortedRecord(Object.fromEntries(labels)) }, identity };
}
