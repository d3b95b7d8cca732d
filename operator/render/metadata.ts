// Labels and annotations every rendered object carries, so people and tools can tell
// which NEXUS object owns it and which version of that object produced it.
import type { V1OwnerReference } from "@kubernetes/client-node";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "nexus-operator";
export const POLICY_LABEL = "security.nexus.io/policy";
export const IDENTITY_LABEL = "security.nexus.io/identity";
export const BASELINE_LABEL = "security.nexus.io/baseline";
export const BASELINE_DISABLED = "disabled";
/** On a target identity's workload PeerAuthentication, which the namespace baseline renders. */
export const WORKLOAD_MTLS_LABEL = "security.nexus.io/workload-mtls";
/** sha256 of the object's own rendered content (see content-hash.ts): what drift detection and "nothing to write" compare. */
export const CONTENT_HASH_ANNOTATION = "security.nexus.io/content-hash";
export const SOURCE_GENERATION_ANNOTATION = "security.nexus.io/source-generation";
/** Istio's annotation for evaluating an AuthorizationPolicy without enforcing it. */
export const ISTIO_DRY_RUN_ANNOTATION = "istio.io/dry-run";
/** Field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = "nexus-operator";

export interface OwnerObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; uid?: string };
}

/** A controller reference: deleting the owner garbage-collects the rendered object. */
export function controllerReference(owner: OwnerObject): V1OwnerReference {
  if (!owner.metadata.uid) {
    throw new Error(`${owner.kind} ${owner.metadata.name} has no uid; it must be read from the API first`);
  }
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
