// Everything the operator would write for a set of EngineIdentities and AccessPolicies,
// produced by the operator's own pure renderers (never a copy of their logic): each
// policy's Istio objects, each identity's Certificate, and the baseline and workload
// PeerAuthentications of every namespace that holds a NEXUS object. Sorted by kind,
// namespace and name. Each target is rendered for the data plane detection finds from the
// Namespaces, Services and waypoint Gateways given (as the operator finds it in the cluster).
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { factsOf } from "../access/identity-index.js";
import { tenantLabelOf, type RenderConfig } from "../config.js";
import { certificateRefusal } from "../identity/certificate-limits.js";
import { tenantOfNamespace, verifiedFacts } from "../policy/tenancy.js";
import { renderCertificate } from "../identity/render-certificate.js";
import { identityLookupOf, renderAccessPolicy, renderNamespaceObjects, type IdentityFacts, type IdentityLookup, type PolicyRenderResult } from "../policy/index.js";
import type { DataPlaneLookup } from "../dataplane/data-plane.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { compareStrings } from "../policy/sorted.js";
import { dataPlaneLookupFor, type DataPlaneInput } from "./data-planes.js";
import { namespacesOf } from "./manifests.js";

export interface RenderInput extends DataPlaneInput {
  identities: EngineIdentity[];
  policies: AccessPolicy[];
  /** Identities known besides those given (the cluster's, with --live); the given ones win. */
  knownIdentities?: IdentityFacts[];
  /** Namespaces labelled security.nexus.io/baseline=disabled (only known from a cluster). */
  baselineDisabled?: ReadonlySet<string>;
  /**
   * Labels of the namespaces known (Namespace objects in the files, or the cluster's): their
   * tenant label decides who is a member of which tenant, their data-plane labels (with the
   * Services and Gateways) which data plane runs a target. A namespace not listed has no
   * tenant and runs sidecars.
   */
  namespaces?: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;
}

export interface RenderedPolicy {
  policy: AccessPolicy;
  result: PolicyRenderResult;
}

export interface RenderedSet {
  objects: KubeObject[];
  policies: RenderedPolicy[];
  lookup: IdentityLookup;
  /** Which data plane runs each target, as rendered. */
  dataPlanes: DataPlaneLookup;
}

/** The tenant of each namespace given, by the tenant label the config names. */
export function namespaceTenantsOf(namespaces: RenderInput["namespaces"], config: RenderConfig): Map<string, string> {
  const tenants = new Map<string, string>();
  for (const [name, labels] of namespaces ?? []) {
    const tenant = tenantOfNamespace(labels, tenantLabelOf(config));
    if (tenant !== undefined) tenants.set(name, tenant);
  }
  return tenants;
}

/** `known` facts are already verified (see cluster-state.ts); the identities given are verified here against the namespaces' tenants. */
export function lookupFor(identities: EngineIdentity[], known: IdentityFacts[] = [], namespaceTenants: ReadonlyMap<string, string> = new Map()): IdentityLookup {
  const facts = new Map<string, IdentityFacts>();
  for (const other of known) facts.set(`${other.namespace}/${other.name}`, other);
  for (const identity of identities) {
    facts.set(`${identity.metadata.namespace}/${identity.metadata.name}`, verifiedFacts(factsOf(identity), namespaceTenants.get(identity.metadata.namespace)));
  }
  return identityLookupOf([...facts.values()], namespaceTenants);
}

export function renderAll(input: RenderInput, config: RenderConfig): RenderedSet {
  const lookup = lookupFor(input.identities, input.knownIdentities, namespaceTenantsOf(input.namespaces, config));
  const objects: KubeObject[] = [];
  for (const identity of input.identities) {
    // The operator requests no Certificate that breaks the administrators' limits.
    if (certificateRefusal(identity, config)) continue;
    const certificate = certificateOf(identity, config);
    if (certificate) objects.push(certificate);
  }
  const dataPlanes = dataPlaneLookupFor(input, config.trustDomain);
  const policies = input.policies.map((policy) => ({ policy, result: renderAccessPolicy(policy, lookup, config, dataPlanes) }));
  for (const { result } of policies) objects.push(...(result.objects as KubeObject[]));
  const uids = new Map(input.identities.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, i.metadata.uid]));
  const policiesByNamespace = new Map<string, AccessPolicy[]>();
  for (const policy of input.policies) {
    const inNamespace = policiesByNamespace.get(policy.metadata.namespace);
    if (inNamespace) inNamespace.push(policy);
    else policiesByNamespace.set(policy.metadata.namespace, [policy]);
  }
  for (const namespace of namespacesOf(input)) {
    const rendered = renderNamespaceObjects(namespace, policiesByNamespace.get(namespace) ?? [], lookup, {
      baselineDisabled: input.baselineDisabled?.has(namespace) ?? false,
      identityUid: (name) => uids.get(`${namespace}/${name}`),
    });
    objects.push(...(rendered as KubeObject[]));
  }
  return { objects: objects.sort(byKindNamespaceName), policies, lookup, dataPlanes };
}

// The Certificate renderer points its owner reference at the identity's uid, which only an
// object read from the API has; for one read from a file the reference is left out, as
// the AccessPolicy renderer does.
const FILE_UID = "00000000-0000-0000-0000-000000000000";

function certificateOf(identity: EngineIdentity, config: RenderConfig): KubeObject | undefined {
  if (identity.metadata.uid) return renderCertificate(identity, config);
  const rendered = renderCertificate({ ...identity, metadata: { ...identity.metadata, uid: FILE_UID } }, config);
  if (!rendered) return undefined;
  const { ownerReferences: _owner, ...metadata } = rendered.metadata;
  return { ...rendered, metadata: metadata as KubeObject["metadata"] };
}

export function byKindNamespaceName(a: KubeObject, b: KubeObject): number {
  return (
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.metadata.namespace ?? "", b.metadata.namespace ?? "") ||
    compareStrings(a.metadata.name, b.metadata.name) ||
    compareStrings(a.apiVersion, b.apiVersion)
  );
}
