// The gate's live view of the cluster: every gated AccessPolicy compiled, and one index of
// all declared keys by SHA-256, so that a presented key is found with one hash lookup
// whatever the number of keys. Kept current from informer events: a policy change
// recompiles that policy at once (revocation takes effect with the watch event); an
// identity change recompiles only the policies that name it, its tenant or its namespace.
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { factsOf, IdentityIndex, PolicyDependents } from "../access/identity-index.js";
import { parseServiceAccountSpiffeId } from "../policy/managed-principal.js";
import { ByteBoundedCache } from "./byte-bounded-cache.js";
import { compilePolicy, type CompiledKey, type CompiledPolicy } from "./compiled-policy.js";
import { KeyDigestIndex } from "./key-digest-index.js";

export interface GateTarget {
  policies: readonly CompiledPolicy[];
  /** The destination's service account is shared by several EngineIdentities and a gated policy targets one of them. */
  ambiguous: boolean;
}

const NO_TARGET: GateTarget = { policies: [], ambiguous: false };
/** targetOf's answers: each about 1 KiB with its key; a few thousand destinations fit. */
const TARGET_CACHE_BYTES = 4 * 1024 * 1024;

export class GateIndex {
  private readonly identities = new IdentityIndex();
  private readonly dependents = new PolicyDependents();
  private readonly sources = new Map<string, AccessPolicy>();
  private readonly compiled = new Map<string, CompiledPolicy>();
  private readonly byNamespace = new Map<string, Set<CompiledPolicy>>();
  private readonly keys = new KeyDigestIndex();
  /** Each compiled policy's slot in the key index. */
  private readonly keySlots = new Map<string, number>();
  /** Policies an identity change may have changed, compiled again by recompilePending(). */
  private readonly pending = new Set<string>();

  /** targetOf's answer per destination principal; emptied whenever a policy or identity changes. */
  private readonly principalTargets = new ByteBoundedCache<GateTarget>(TARGET_CACHE_BYTES);
  private changes = 0;

  constructor(private readonly trustDomain: string) {}

  /** Grows whenever a policy or an identity changed: answers derived from the index before are stale. */
  get generation(): number {
    return this.changes;
  }

  get size(): { policies: number; keys: number } {
    return { policies: this.compiled.size, keys: this.keys.keys };
  }

  setPolicy(policy: AccessPolicy, deleted = false): void {
    const key = `${policy.metadata.namespace}/${policy.metadata.name}`;
    if (deleted) this.sources.delete(key);
    else this.sources.set(key, policy);
    // Recorded afresh (not by generation): the references are what this object names.
    this.dependents.update(key, undefined);
    if (!deleted) this.dependents.update(key, policy);
    this.recompile(key);
  }

  /**
   * Records an identity change and the policies it may affect (those naming it, its tenant
   * or its namespace); recompilePending() compiles only those again.
   */
  setIdentity(identity: EngineIdentity, deleted = false): void {
    const key = `${identity.metadata.namespace}/${identity.metadata.name}`;
    const next = deleted ? undefined : factsOf(identity);
    const previous = this.identities.update(key, next);
    for (const policy of this.dependents.affectedBy(key, previous, next)) this.pending.add(policy);
    // Which engines share a service account (ambiguous targets) may have changed.
    this.changed();
  }

  /** Compiles again the policies the identity changes since the last call may affect. */
  recompilePending(): number {
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) this.recompile(key);
    return keys.length;
  }

  /**
   * The tenant the administrators gave a namespace (its tenant label; undefined: none).
   * Returns whether it changed; then tenant membership may differ for any policy, so every
   * policy is marked for compiling again (a rare, administrator's change).
   */
  setNamespaceTenant(namespace: string, tenant: string | undefined): boolean {
    if (this.identities.namespaceTenant(namespace) === tenant) return false;
    this.identities.setNamespaceTenant(namespace, tenant);
    for (const key of this.sources.keys()) this.pending.add(key);
    return true;
  }

  /** After the first sync: every policy resolved against the full set of identities. */
  recompileAll(): void {
    this.pending.clear();
    for (const key of this.sources.keys()) this.recompile(key);
  }

  /** Every declared key with this SHA-256, in any policy. */
  keysWithDigest(digest: Uint8Array): readonly CompiledKey[] {
    return this.keys.find(digest);
  }

  /**
   * The gated policies protecting the destination, found by its principal alone (never by
   * Host, which the client writes): those naming an EngineIdentity whose service account is
   * the destination principal's, and the namespace-wide ones of its namespace. When that
   * service account is shared with another EngineIdentity the mesh cannot tell the engines
   * apart, and the target is ambiguous: refused.
   */
  targetOf(destinationPrincipal: string): GateTarget {
    // Envoy sends the same destination principal with every Check to an engine: parsing
    // it again would cost more than the rest of the lookup.
    const known = this.principalTargets.get(destinationPrincipal);
    if (known) return known;
    const target = this.resolveTarget(destinationPrincipal);
    this.principalTargets.set(destinationPrincipal, target, 512 + 2 * destinationPrincipal.length + 16 * target.policies.length);
    return target;
  }

  private resolveTarget(destinationPrincipal: string): GateTarget {
    const parsed = parseServiceAccountSpiffeId(destinationPrincipal);
    if (!parsed || parsed.trustDomain !== this.trustDomain) return NO_TARGET;
    return this.targetWhere(parsed.namespace, (policy) => !policy.target || policy.target.serviceAccount === parsed.serviceAccount);
  }

  /**
   * The gated policies of a namespace that `protects` accepts for one destination: by its
   * principal (the sidecar's Check, above) or by the Service a waypoint routes to
   * (waypoint-lookup.ts). Ambiguous when one of them targets an EngineIdentity whose service
   * account another one shares: the mesh cannot tell those engines apart, and the renderer
   * refuses such a gated policy (AmbiguousTarget); only the namespace-wide ones are kept.
   */
  targetWhere(namespace: string, protects: (policy: CompiledPolicy) => boolean): GateTarget {
    const inNamespace = this.byNamespace.get(namespace);
    if (!inNamespace) return NO_TARGET;
    const namespaceWide: CompiledPolicy[] = [];
    const targeted: CompiledPolicy[] = [];
    for (const policy of inNamespace) {
      if (!protects(policy)) continue;
      if (policy.target) targeted.push(policy);
      else namespaceWide.push(policy);
    }
    const serviceAccounts = new Set(targeted.map((policy) => policy.target!.serviceAccount));
    for (const serviceAccount of serviceAccounts) {
      if (this.identities.withServiceAccount(namespace, serviceAccount).length > 1) return { policies: namespaceWide, ambiguous: true };
    }
    return { policies: [...namespaceWide, ...targeted], ambiguous: false };
  }

  private changed(): void {
    this.principalTargets.clear();
    this.changes++;
  }

  private recompile(key: string): void {
    this.changed();
    const previous = this.compiled.get(key);
    const source = this.sources.get(key);
    const next = source ? compilePolicy(source, this.identities, this.trustDomain) : undefined;
    if (previous) this.remove(key, previous);
    const slot = this.keySlots.get(key);
    if (!next) {
      if (slot !== undefined) this.keys.remove(slot);
      this.keySlots.delete(key);
      return;
    }
    this.compiled.set(key, next);
    let set = this.byNamespace.get(next.namespace);
    if (!set) this.byNamespace.set(next.namespace, (set = new Set()));
    set.add(next);
    // Compiled again from the same policy object (an identity changed): the same declared
    // keys, which stay indexed where they are.
    if (slot !== undefined && previous?.keys === next.keys) this.keys.replace(slot, next);
    else {
      if (slot !== undefined) this.keys.remove(slot);
      this.keySlots.set(key, this.keys.add(next));
    }
  }

  private remove(key: string, policy: CompiledPolicy): void {
    this.compiled.delete(key);
    const set = this.byNamespace.get(policy.namespace);
    set?.delete(policy);
    if (set?.size === 0) this.byNamespace.delete(policy.namespace);
  }
}
