// The facts about EngineIdentities that rendering an AccessPolicy needs, and the questions
// the renderer asks about them. The operator answers from its informer cache; tests, the
// CLI and the evaluator answer from a plain list through identityLookupOf.
import type { WorkloadSelector } from "../api/types.js";
import { principal } from "../identity/spiffe.js";

export interface IdentityFacts {
  namespace: string;
  name: string;
  tenant?: string;
  serviceAccount: string;
  /** spec.workloadSelector.matchLabels, as the API types it. */
  workloadSelector?: WorkloadSelector["matchLabels"];
}

export interface IdentityLookup {
  get(namespace: string, name: string): IdentityFacts | undefined;
  /** Every identity of that tenant, in any namespace. */
  withTenant(tenant: string): IdentityFacts[];
  inNamespace(namespace: string): IdentityFacts[];
  /** The identities whose pods run as that service account (and so share its principal). */
  withServiceAccount(namespace: string, serviceAccount: string): IdentityFacts[];
}

/** The Istio principal the mesh gives the identity's pods. */
export function principalOfFacts(facts: IdentityFacts, trustDomain: string): string {
  return principal(trustDomain, facts.namespace, facts.serviceAccount);
}

export function identityKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** An in-memory index over a list of identities; the list's order does not matter. */
export function identityLookupOf(identities: IdentityFacts[]): IdentityLookup {
  const byKey = new Map<string, IdentityFacts>();
  for (const facts of identities) {
    const key = identityKey(facts.namespace, facts.name);
    // Two different facts for one object would make the answer depend on list order.
    if (byKey.has(key)) throw new Error(`identity ${key} is listed twice`);
    byKey.set(key, facts);
  }
  const all = [...byKey.values()];
  return {
    get: (namespace, name) => byKey.get(identityKey(namespace, name)),
    withTenant: (tenant) => all.filter((facts) => facts.tenant === tenant),
    inNamespace: (namespace) => all.filter((facts) => facts.namespace === namespace),
    withServiceAccount: (namespace, serviceAccount) => all.filter((facts) => facts.namespace === namespace && facts.serviceAccount === serviceAccount),
  };
}
