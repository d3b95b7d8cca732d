// The facts about EngineIdentities that rendering an AccessPolicy needs, and the questions
// the renderer asks about them. The operator answers from its informer cache; tests, the
// CLI and the evaluator answer from a plain list through identityLookupOf.
import type { WorkloadSelector } from "../api/types.js";
import { principal } from "../identity/spiffe.js";
import { innerMap } from "./nested-map.js";

export interface IdentityFacts {
  namespace: string;
  name: string;
  /** The tenant it is a verified member of (its namespace's, see tenancy.ts): grants. */
  tenant?: string;
  /** spec.tenant when its namespace does not back it: never grants, still restricts. */
  unverifiedTenant?: string;
  serviceAccount: string;
  /** spec.workloadSelector.matchLabels, as the API types it. */
  workloadSelector?: WorkloadSelector["matchLabels"];
}

export interface IdentityLookup {
  get(namespace: string, name: string): IdentityFacts | undefined;
  /** Every verified member of that tenant, in any namespace. */
  withTenant(tenant: string): IdentityFacts[];
  /** Identities that claim that tenant without being members (their namespace does not back the claim). */
  withUnverifiedClaim(tenant: string): IdentityFacts[];
  /** The tenant of a namespace by the administrators' label, as far as it is known. */
  namespaceTenant(namespace: string): string | undefined;
  inNamespace(namespace: string): IdentityFacts[];
  /** The identities whose pods run as that service account (and so share its principal). */
  withServiceAccount(namespace: string, serviceAccount: string): readonly IdentityFacts[];
  /**
   * An answer derived from the identities, computed once and kept until they change: a
   * tenant of thousands named by hundreds of policies is then resolved once, not per policy.
   * The answer is shared, so callers must not modify it.
   */
  derived<T>(key: string, compute: () => T): T;
}

/** The memo behind `derived`: one entry per question, all dropped together when the identities change. */
export class DerivedAnswers {
  private readonly answers = new Map<string, unknown>();
  private cleared = 0;

  /** Changes whenever the answers are dropped (the identities changed): equal versions, equal answers. */
  get version(): number {
    return this.cleared;
  }

  get<T>(key: string, compute: () => T): T {
    if (this.answers.has(key)) return this.answers.get(key) as T;
    const answer = compute();
    this.answers.set(key, answer);
    return answer;
  }

  clear(): void {
    this.cleared++;
    this.answers.clear();
  }
}

/** The Istio principal the mesh gives the identity's pods. */
export function principalOfFacts(facts: IdentityFacts, trustDomain: string): string {
  return principal(trustDomain, facts.namespace, facts.serviceAccount);
}

export function identityKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * An in-memory index over a list of identities (their tenants already verified, see
 * tenancy.ts) and the tenants of namespaces; the list's order does not matter.
 */
export function identityLookupOf(identities: IdentityFacts[], namespaceTenants: ReadonlyMap<string, string> = new Map()): IdentityLookup {
  const byKey = new Map<string, IdentityFacts>();
  for (const facts of identities) {
    const key = identityKey(facts.namespace, facts.name);
    // Two different facts for one object would make the answer depend on list order.
    if (byKey.has(key)) throw new Error(`identity ${key} is listed twice`);
    byKey.set(key, facts);
  }
  // Indexed, so that rendering thousands of policies over thousands of identities (the CLI
  // on a whole repository) is not quadratic.
  const byTenant = groupBy(byKey.values(), (facts) => facts.tenant);
  const byUnverifiedClaim = groupBy(byKey.values(), (facts) => facts.unverifiedTenant);
  const byNamespace = groupBy(byKey.values(), (facts) => facts.namespace);
  // By namespace, then name or service account (see nested-map.ts).
  const byName = new Map<string, Map<string, IdentityFacts>>();
  const byServiceAccount = new Map<string, Map<string, IdentityFacts[]>>();
  for (const facts of byKey.values()) {
    innerMap(byName, facts.namespace).set(facts.name, facts);
    const accounts = innerMap(byServiceAccount, facts.namespace);
    const sharing = accounts.get(facts.serviceAccount);
    if (sharing) sharing.push(facts);
    else accounts.set(facts.serviceAccount, [facts]);
  }
  const answers = new DerivedAnswers();
  const none: readonly IdentityFacts[] = [];
  return {
    get: (namespace, name) => byName.get(namespace)?.get(name),
    withTenant: (tenant) => [...(byTenant.get(tenant) ?? [])],
    withUnverifiedClaim: (tenant) => [...(byUnverifiedClaim.get(tenant) ?? [])],
    namespaceTenant: (namespace) => namespaceTenants.get(namespace),
    inNamespace: (namespace) => [...(byNamespace.get(namespace) ?? [])],
    withServiceAccount: (namespace, serviceAccount) => byServiceAccount.get(namespace)?.get(serviceAccount) ?? none,
    derived: (key, compute) => answers.get(key, compute),
  };
}

function groupBy(values: Iterable<IdentityFacts>, keyOf: (facts: IdentityFacts) => string | undefined): Map<string, IdentityFacts[]> {
  const groups = new Map<string, IdentityFacts[]>();
  for (const facts of values) {
    const key = keyOf(facts);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(facts);
    else groups.set(key, [facts]);
  }
  return groups;
}
