// Live indexes over EngineIdentities and AccessPolicies, kept current from informer events.
// They answer the renderer's questions (who is in tenant X?) and the reverse question the
// reconciler needs: which policies must be rendered again when this identity changes?
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { serviceAccountOf } from "../identity/identity-facts.js";
import { DerivedAnswers, type IdentityFacts, type IdentityLookup } from "../policy/identity-lookup.js";
import { policyReferences } from "../policy/policy-references.js";
import { verifiedFacts, type IdentityClaim } from "../policy/tenancy.js";
import { objectKey } from "../runtime/object-key.js";

/** What the identity says about itself; its tenant is verified against its namespace by the index (see tenancy.ts). */
export function factsOf(identity: EngineIdentity): IdentityClaim {
  return {
    namespace: identity.metadata.namespace,
    name: identity.metadata.name,
    serviceAccount: serviceAccountOf(identity),
    ...(identity.spec.tenant ? { claimedTenant: identity.spec.tenant } : {}),
    ...(identity.spec.workloadSelector ? { workloadSelector: identity.spec.workloadSelector.matchLabels } : {}),
  };
}

class MultiMap {
  private readonly map = new Map<string, Set<string>>();
  add(key: string, value: string): void {
    let set = this.map.get(key);
    if (!set) this.map.set(key, (set = new Set()));
    set.add(value);
  }
  remove(key: string, value: string): void {
    const set = this.map.get(key);
    if (!set) return;
    set.delete(value);
    if (set.size === 0) this.map.delete(key);
  }
  get(key: string): ReadonlySet<string> {
    return this.map.get(key) ?? new Set();
  }
}

/** One identity whose verified facts changed, e.g. because its namespace's tenant did. */
export interface FactsChange {
  key: string;
  before: IdentityFacts | undefined;
  after: IdentityFacts | undefined;
}

export class IdentityIndex implements IdentityLookup {
  private readonly claims = new Map<string, IdentityClaim>();
  private readonly facts = new Map<string, IdentityFacts>();
  private readonly namespaceTenants = new Map<string, string>();
  private readonly byTenant = new MultiMap();
  private readonly byUnverifiedClaim = new MultiMap();
  private readonly byNamespace = new MultiMap();
  private readonly byServiceAccount = new MultiMap();
  private readonly answers = new DerivedAnswers();

  get(namespace: string, name: string): IdentityFacts | undefined {
    return this.facts.get(objectKey(namespace, name));
  }

  withTenant(tenant: string): IdentityFacts[] {
    return this.collect(this.byTenant.get(tenant));
  }

  withUnverifiedClaim(tenant: string): IdentityFacts[] {
    return this.collect(this.byUnverifiedClaim.get(tenant));
  }

  namespaceTenant(namespace: string): string | undefined {
    return this.namespaceTenants.get(namespace);
  }

  inNamespace(namespace: string): IdentityFacts[] {
    return this.collect(this.byNamespace.get(namespace));
  }

  withServiceAccount(namespace: string, serviceAccount: string): IdentityFacts[] {
    return this.collect(this.byServiceAccount.get(objectKey(namespace, serviceAccount)));
  }

  /**
   * Changes with every change of what the index answers (facts of an identity, a namespace's
   * tenant): a rendering made at one version holds as long as the version does.
   */
  get version(): number {
    return this.answers.version;
  }

  derived<T>(key: string, compute: () => T): T {
    return this.answers.get(key, compute);
  }

  /** Records the identity's claim (or its removal) and returns its verified facts before the change. */
  update(key: string, claim: IdentityClaim | undefined): IdentityFacts | undefined {
    if (claim) this.claims.set(key, claim);
    else this.claims.delete(key);
    return this.store(key, claim ? verifiedFacts(claim, this.namespaceTenants.get(claim.namespace)) : undefined);
  }

  /**
   * Records the tenant the administrators gave a namespace (undefined: none) and verifies
   * its identities' claims again. Returns the identities whose facts changed.
   */
  setNamespaceTenant(namespace: string, tenant: string | undefined): FactsChange[] {
    if (this.namespaceTenants.get(namespace) === tenant) return [];
    if (tenant === undefined) this.namespaceTenants.delete(namespace);
    else this.namespaceTenants.set(namespace, tenant);
    // Namespace and principal sources consult the namespace's tenant too.
    this.answers.clear();
    const changes: FactsChange[] = [];
    for (const key of [...this.byNamespace.get(namespace)]) {
      const claim = this.claims.get(key);
      if (!claim) continue;
      const after = verifiedFacts(claim, tenant);
      const before = this.store(key, after);
      if (!sameFacts(before, after)) changes.push({ key, before, after });
    }
    return changes;
  }

  private store(key: string, next: IdentityFacts | undefined): IdentityFacts | undefined {
    const previous = this.facts.get(key);
    if (!sameFacts(previous, next)) this.answers.clear();
    if (previous) {
      if (previous.tenant) this.byTenant.remove(previous.tenant, key);
      if (previous.unverifiedTenant) this.byUnverifiedClaim.remove(previous.unverifiedTenant, key);
      this.byNamespace.remove(previous.namespace, key);
      this.byServiceAccount.remove(objectKey(previous.namespace, previous.serviceAccount), key);
      this.facts.delete(key);
    }
    if (next) {
      this.facts.set(key, next);
      if (next.tenant) this.byTenant.add(next.tenant, key);
      if (next.unverifiedTenant) this.byUnverifiedClaim.add(next.unverifiedTenant, key);
      this.byNamespace.add(next.namespace, key);
      this.byServiceAccount.add(objectKey(next.namespace, next.serviceAccount), key);
    }
    return previous;
  }

  private collect(keys: ReadonlySet<string>): IdentityFacts[] {
    const out: IdentityFacts[] = [];
    for (const key of keys) {
      const facts = this.facts.get(key);
      if (facts) out.push(facts);
    }
    return out;
  }
}

function sameFacts(a: IdentityFacts | undefined, b: IdentityFacts | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.namespace === b.namespace &&
    a.name === b.name &&
    a.tenant === b.tenant &&
    a.unverifiedTenant === b.unverifiedTenant &&
    a.serviceAccount === b.serviceAccount &&
    JSON.stringify(a.workloadSelector ?? null) === JSON.stringify(b.workloadSelector ?? null)
  );
}

/** Which policies depend on which identities, tenants and namespaces. */
export class PolicyDependents {
  private readonly byIdentity = new MultiMap();
  private readonly byTenant = new MultiMap();
  private readonly byNamespace = new MultiMap();
  private readonly recorded = new Map<string, ReturnType<typeof policyReferences>>();
  /** uid, generation and deletion of each policy as last recorded. */
  private readonly versions = new Map<string, string>();

  /**
   * Records what the policy names. Returns false when only its status or metadata changed
   * (same uid, generation and deletion state): such an update, e.g. the operator's own
   * status write coming back, cannot change what the policy renders.
   */
  update(policyKey: string, policy: AccessPolicy | undefined): boolean {
    const version = policy ? `${policy.metadata.uid ?? ""}/${policy.metadata.generation ?? ""}/${policy.metadata.deletionTimestamp ? "deleting" : ""}` : undefined;
    const sameVersion = version !== undefined && this.versions.get(policyKey) === version;
    if (version === undefined) this.versions.delete(policyKey);
    else this.versions.set(policyKey, version);
    if (sameVersion) return false;
    const previous = this.recorded.get(policyKey);
    if (previous) {
      previous.identities.forEach((k) => this.byIdentity.remove(k, policyKey));
      previous.tenants.forEach((t) => this.byTenant.remove(t, policyKey));
      previous.namespaces.forEach((n) => this.byNamespace.remove(n, policyKey));
      this.recorded.delete(policyKey);
    }
    if (!policy) return true;
    const refs = policyReferences(policy);
    refs.identities.forEach((k) => this.byIdentity.add(k, policyKey));
    refs.tenants.forEach((t) => this.byTenant.add(t, policyKey));
    refs.namespaces.forEach((n) => this.byNamespace.add(n, policyKey));
    this.recorded.set(policyKey, refs);
    return true;
  }

  /** Policies whose rendering may change when an identity goes from `before` to `after`. */
  affectedBy(identityKey: string, before: IdentityFacts | undefined, after: IdentityFacts | undefined): Set<string> {
    const out = new Set<string>(this.byIdentity.get(identityKey));
    for (const facts of [before, after]) {
      if (!facts) continue;
      if (facts.tenant) this.byTenant.get(facts.tenant).forEach((p) => out.add(p));
      if (facts.unverifiedTenant) this.byTenant.get(facts.unverifiedTenant).forEach((p) => out.add(p));
      this.byNamespace.get(facts.namespace).forEach((p) => out.add(p));
    }
    return out;
  }
}
