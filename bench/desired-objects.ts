// What the operator writes for a workload, computed with the pure renderers and nothing
// else: per AccessPolicy its Istio objects, per namespace the baseline, per EngineIdentity
// its ServiceAccount, each with the applied-hash annotation the operator adds, plus the
// status the operator reports. The floor writes exactly these.
import type { AccessPolicy, AccessPolicyStatus, EngineIdentity, EngineIdentityStatus } from "../operator/api/types.js";
import { factsOf, IdentityIndex } from "../operator/access/identity-index.js";
import { PolicyReason } from "../operator/access/reasons.js";
import { defaultRenderConfig } from "../operator/config.js";
import { principalOf, serviceAccountOf, spiffeIdOf } from "../operator/identity/identity-facts.js";
import { IdentityReason } from "../operator/identity/reasons.js";
import { renderAccessPolicy, renderNamespaceBaseline, type IdentityLookup } from "../operator/policy/index.js";
import { controllerReference, IDENTITY_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../operator/render/metadata.js";
import { withAppliedHash } from "../operator/runtime/apply-if-changed.js";
import { readyFrom, setConditions, type DesiredCondition } from "../operator/runtime/conditions.js";
import type { KubeObject } from "../operator/runtime/kube-client.js";

export interface DesiredWrites {
  /** ServiceAccounts, then the policies' Istio objects, then the namespace baselines. */
  objects: KubeObject[];
  /** Status of every policy and identity, as the operator reports it once all is rendered. */
  statuses: Array<{ object: KubeObject; status: unknown }>;
  /** Policy namespace/name -> policyHash, to compare with what the operator reports. */
  policyHashes: Map<string, string>;
}

/** `identities` and `policies` as read back from the API (they need uids for owner references). */
export function desiredWrites(identities: EngineIdentity[], policies: AccessPolicy[], namespaces: string[]): DesiredWrites {
  const config = defaultRenderConfig;
  const lookup = indexedLookup(identities);
  const now = new Date();
  const objects: KubeObject[] = [];
  const statuses: DesiredWrites["statuses"] = [];
  const policyHashes = new Map<string, string>();
  for (const identity of identities) {
    // The same ServiceAccount IdentityReconciler.ensureServiceAccount applies.
    objects.push(
      withAppliedHash<KubeObject>({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: {
          name: serviceAccountOf(identity),
          namespace: identity.metadata.namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [IDENTITY_LABEL]: identity.metadata.name },
          ownerReferences: [controllerReference(identity as unknown as KubeObject)],
        },
      }),
    );
    const parts: DesiredCondition[] = [
      { type: "CertificateReady", status: "True", reason: IdentityReason.CertificateNotRequested, message: "no certificate requested: mesh identity only" },
      { type: "ServiceAccountReady", status: "True", reason: IdentityReason.ServiceAccountManaged, message: `ServiceAccount ${serviceAccountOf(identity)} is managed by the operator` },
    ];
    const status: EngineIdentityStatus = {
      observedGeneration: identity.metadata.generation,
      spiffeID: spiffeIdOf(identity, config.trustDomain),
      principal: principalOf(identity, config.trustDomain),
      serviceAccount: serviceAccountOf(identity),
      conditions: setConditions(undefined, [...parts, readyFrom(parts, IdentityReason.Ready, `identity ${spiffeIdOf(identity, config.trustDomain)} is ready`)], identity.metadata.generation, now),
    };
    statuses.push({ object: identity as unknown as KubeObject, status });
  }
  for (const policy of policies) {
    const result = renderAccessPolicy(policy, lookup, config);
    for (const object of result.objects) objects.push(withAppliedHash(object as unknown as KubeObject));
    policyHashes.set(`${policy.metadata.namespace}/${policy.metadata.name}`, result.policyHash);
    const parts: DesiredCondition[] = [
      { type: "Resolved", status: "True", reason: PolicyReason.Resolved, message: `all ${result.resolvedSources} sources resolved` },
      { type: "Rendered", status: "True", reason: PolicyReason.Rendered, message: `${result.objects.length} Istio objects rendered` },
    ];
    const status: AccessPolicyStatus = {
      observedGeneration: policy.metadata.generation,
      policyHash: result.policyHash,
      rendered: result.objects.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace })),
      unresolved: result.unresolved,
      conditions: setConditions(undefined, [...parts, readyFrom([parts[1]!], PolicyReason.Ready, "policy is enforced by the mesh")], policy.metadata.generation, now),
    };
    statuses.push({ object: policy as unknown as KubeObject, status });
  }
  for (const namespace of namespaces) {
    for (const object of renderNamespaceBaseline(namespace)) objects.push(withAppliedHash(object as unknown as KubeObject));
  }
  return { objects, statuses, policyHashes };
}

/**
 * The operator's own indexed lookup (IdentityIndex), filled from a list. identityLookupOf
 * answers the same but scans every identity per question, which at 10k identities makes
 * rendering quadratic (see render-throughput.ts).
 */
export function indexedLookup(identities: EngineIdentity[]): IdentityLookup {
  const index = new IdentityIndex();
  for (const identity of identities) index.update(`${identity.metadata.namespace}/${identity.metadata.name}`, factsOf(identity));
  return index;
}
