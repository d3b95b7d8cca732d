// What the operator writes for a workload, computed with the pure renderers and nothing
// else: per AccessPolicy its Istio objects (every shard), per namespace the baseline and the
// workload PeerAuthentications of its target identities, per EngineIdentity its
// ServiceAccount (with the applied-hash annotation the operator adds; Istio objects carry
// their own content hash), plus the status
// the operator reports. The floor writes exactly these. Ambient targets get the ambient form
// when given the data planes the operator detects (ambient-workload.ts dataPlanesOf).
import type { AccessPolicy, AccessPolicyStatus, EngineIdentity, EngineIdentityStatus } from "../operator/api/types.js";
import { factsOf, IdentityIndex } from "../operator/access/identity-index.js";
import { verifyTenant } from "../operator/policy/tenancy.js";
import { PolicyReason } from "../operator/access/reasons.js";
import { defaultRenderConfig, tenantLabelOf, type RenderConfig } from "../operator/config.js";
import { sidecarEverywhere, type DataPlaneLookup } from "../operator/dataplane/data-plane.js";
import { principalOf, serviceAccountOf, spiffeIdOf } from "../operator/identity/identity-facts.js";
import { IdentityReason } from "../operator/identity/reasons.js";
import { renderAccessPolicy, renderNamespaceObjects, type IdentityLookup } from "../operator/policy/index.js";
import { controllerReference, IDENTITY_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../operator/render/metadata.js";
import { withAppliedHash } from "../operator/runtime/apply-if-changed.js";
import { readyFrom, setConditions, type DesiredCondition } from "../operator/runtime/conditions.js";
import type { KubeObject } from "../operator/runtime/kube-client.js";

export interface StatusWrite {
  object: KubeObject;
  status: unknown;
}

export interface DesiredWrites {
  /** ServiceAccounts, then the policies' Istio objects, then the namespaces' baselines. */
  objects: KubeObject[];
  /** Status of every policy and identity, as the operator reports it once all is rendered. */
  statuses: StatusWrite[];
  /** Policy namespace/name -> policyHash, to compare with what the operator reports. */
  policyHashes: Map<string, string>;
}

export interface PolicyWrites {
  objects: KubeObject[];
  status: StatusWrite;
  policyHash: string;
}

/** `identities` and `policies` as read back from the API (they need uids for owner references). */
export function desiredWrites(
  identities: EngineIdentity[],
  policies: AccessPolicy[],
  namespaces: string[],
  config: RenderConfig = defaultRenderConfig,
  namespaceTenants: ReadonlyMap<string, string> = new Map(),
  dataPlanes: DataPlaneLookup = sidecarEverywhere,
): DesiredWrites {
  const lookup = indexedLookup(identities, namespaceTenants);
  const now = new Date();
  const objects: KubeObject[] = [];
  const statuses: StatusWrite[] = [];
  const policyHashes = new Map<string, string>();
  for (const identity of identities) {
    objects.push(serviceAccountOfIdentity(identity));
    statuses.push(identityStatus(identity, config, now, namespaceTenants.get(identity.metadata.namespace)));
  }
  for (const policy of policies) {
    const writes = policyWrites(policy, lookup, config, now, dataPlanes);
    objects.push(...writes.objects);
    statuses.push(writes.status);
    policyHashes.set(`${policy.metadata.namespace}/${policy.metadata.name}`, writes.policyHash);
  }
  objects.push(...namespaceWrites(namespaces, identities, policies, lookup));
  return { objects, statuses, policyHashes };
}

/** The same ServiceAccount IdentityReconciler.ensureServiceAccount applies. */
function serviceAccountOfIdentity(identity: EngineIdentity): KubeObject {
  return withAppliedHash<KubeObject>({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name: serviceAccountOf(identity),
      namespace: identity.metadata.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [IDENTITY_LABEL]: identity.metadata.name },
      ownerReferences: [controllerReference(identity as unknown as KubeObject)],
    },
  });
}

function identityStatus(identity: EngineIdentity, config: RenderConfig, now: Date, namespaceTenant: string | undefined): StatusWrite {
  const tenancy = verifyTenant(identity.spec.tenant, identity.metadata.namespace, namespaceTenant, tenantLabelOf(config));
  const parts: DesiredCondition[] = [
    { type: "CertificateReady", status: "True", reason: IdentityReason.CertificateNotRequested, message: "no certificate requested: mesh identity only" },
    { type: "ServiceAccountReady", status: "True", reason: IdentityReason.ServiceAccountManaged, message: `ServiceAccount ${serviceAccountOf(identity)} is managed by the operator` },
  ];
  const status: EngineIdentityStatus = {
    observedGeneration: identity.metadata.generation,
    spiffeID: spiffeIdOf(identity, config.trustDomain),
    principal: principalOf(identity, config.trustDomain),
    serviceAccount: serviceAccountOf(identity),
    ...(tenancy.tenant !== undefined ? { tenant: tenancy.tenant } : {}),
    conditions: setConditions(
      undefined,
      [...parts, readyFrom(parts, IdentityReason.Ready, `identity ${spiffeIdOf(identity, config.trustDomain)} is ready`), { type: "TenantVerified", status: tenancy.status, reason: tenancy.reason, message: tenancy.message }],
      identity.metadata.generation,
      now,
    ),
  };
  return { object: identity as unknown as KubeObject, status };
}

/** One policy's rendered objects (every shard) and its status, as the operator writes them once all resolves. */
export function policyWrites(policy: AccessPolicy, lookup: IdentityLookup, config: RenderConfig = defaultRenderConfig, now = new Date(), dataPlanes: DataPlaneLookup = sidecarEverywhere): PolicyWrites {
  const result = renderAccessPolicy(policy, lookup, config, dataPlanes);
  // The status below is that of a policy rendered whole; a refused one would never be Ready.
  if (result.refused) throw new Error(`the workload's policy ${policy.metadata.namespace}/${policy.metadata.name} is refused (${result.refused.reason}): ${result.refused.message}`);
  const count = result.objects.length;
  const parts: DesiredCondition[] = [
    { type: "Resolved", status: "True", reason: PolicyReason.Resolved, message: `all ${result.resolvedSources} sources resolved` },
    { type: "Rendered", status: "True", reason: PolicyReason.Rendered, message: `${count} Istio object${count === 1 ? "" : "s"} rendered` },
  ];
  const status: AccessPolicyStatus = {
    observedGeneration: policy.metadata.generation,
    policyHash: result.policyHash,
    rendered: result.objects.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace })),
    unresolved: result.unresolved,
    conditions: setConditions(undefined, [...parts, readyFrom([parts[1]!], PolicyReason.Ready, "policy is enforced by the mesh")], policy.metadata.generation, now),
  };
  return {
    // Rendered Istio objects carry their own content hash, as the operator writes them.
    objects: result.objects.map((object) => object as unknown as KubeObject),
    status: { object: policy as unknown as KubeObject, status },
    policyHash: result.policyHash,
  };
}

/**
 * What the namespace-baseline reconciler writes: the baseline of every namespace, and the
 * workload PeerAuthentications of the namespace's target identities where they change it
 * (none in a namespace whose policies all keep the default STRICT).
 */
export function namespaceWrites(namespaces: string[], identities: EngineIdentity[], policies: AccessPolicy[], lookup: IdentityLookup): KubeObject[] {
  const uids = new Map(identities.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, i.metadata.uid]));
  const byNamespace = new Map<string, AccessPolicy[]>();
  for (const policy of policies) {
    const list = byNamespace.get(policy.metadata.namespace) ?? [];
    list.push(policy);
    byNamespace.set(policy.metadata.namespace, list);
  }
  const objects: KubeObject[] = [];
  for (const namespace of namespaces) {
    const rendered = renderNamespaceObjects(namespace, byNamespace.get(namespace) ?? [], lookup, {
      baselineDisabled: false,
      identityUid: (name) => uids.get(`${namespace}/${name}`),
    });
    for (const object of rendered) objects.push(object as unknown as KubeObject);
  }
  return objects;
}

/** Objects of each kind the operator writes for a workload: what the completion tracker waits for. */
export function expectedCounts(objects: readonly KubeObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const object of objects) counts[object.kind] = (counts[object.kind] ?? 0) + 1;
  return counts;
}

/**
 * The operator's own indexed lookup (IdentityIndex), filled from a list. identityLookupOf
 * answers the same but scans every identity per question, which at 10k identities makes
 * rendering quadratic (see render-throughput.ts).
 */
export function indexedLookup(identities: EngineIdentity[], namespaceTenants: ReadonlyMap<string, string> = new Map()): IdentityLookup {
  const index = new IdentityIndex();
  for (const [namespace, tenant] of namespaceTenants) index.setNamespaceTenant(namespace, tenant);
  for (const identity of identities) index.update(`${identity.metadata.namespace}/${identity.metadata.name}`, factsOf(identity));
  return index;
}

/** The workload's objects as the API would hand them back: uids (so owner references render) and generation 1. */
export function asReadBack<T extends EngineIdentity | AccessPolicy>(objects: readonly T[], uidPrefix: string): T[] {
  return objects.map((o, n) => ({ ...o, metadata: { ...o.metadata, uid: `${uidPrefix}-${String(n).padStart(12, "0")}`, generation: 1 } }));
}
