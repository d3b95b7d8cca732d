// The gate's live view of the cluster: every gated AccessPolicy compiled, and one index of
// all declared keys by SHA-256, so that a presented key is found with one hash lookup
// whatever the number of keys. Kept current from informer events: a policy change
// recompiles that policy at once (revocation takes effect with the watch event); an
// identity change recompiles the policies, which may resolve differently.
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { factsOf, IdentityIndex } from "../access/identity-index.js";
import { parseServiceAccountSpiffeId } from "../policy/managed-principal.js";
import { compilePolicy, type CompiledKey, type CompiledPolicy } from "./compiled-policy.js";

export interface GateTarget {
  policies: readonly CompiledPolicy[];
  /** Several gated identities share the destination's service account and the host names none. */
  ambiguous: boolean;
}

const NO_TARGET: GateTarget = { policies: [], ambiguous: false };
const MAX_CACHED_TARGETS = 4096;

export class GateIndex {
  private readonly identities = new IdentityIndex();
  private readonly sources = new Map<string, AccessPolicy>();
  private readonly compiled = new Map<string, CompiledPolicy>();
  /** The policy object each entry was compiled from, to tell a policy change from an identity change. */
  private readonly compiledFrom = new Map<string, AccessPolicy>();
  private readonly byNamespace = new Map<string, Set<CompiledPolicy>>();
  private readonly keysByDigest = new Map<string, CompiledKey[]>();
  private keyCount = 0;
  /**
   * The answer of targetOf per namespace and service account, so that a Check does not sort
   * the namespace's policies again; emptied whenever a policy is compiled or removed.
   */
  private readonly targets = new Map<string, { byIdentity: Map<string, GateTarget>; single: GateTarget; ambiguous: GateTarget }>();

  /** targetOf's answer per destination principal, where the host plays no part in it. */
  private readonly principalTargets = new Map<string, GateTarget>();

  constructor(private readonly trustDomain: string) {}

  get size(): { policies: number; keys: number } {
    return { policies: this.compiled.size, keys: this.keyCount };
  }

  setPolicy(policy: AccessPolicy, deleted = false): void {
    const key = `${policy.metadata.namespace}/${policy.metadata.name}`;
    if (deleted) this.sources.delete(key);
    else this.sources.set(key, policy);
    this.recompile(key);
  }

  setIdentity(identity: EngineIdentity, deleted = false): void {
    const key = `${identity.metadata.namespace}/${identity.metadata.name}`;
    this.identities.update(key, deleted ? undefined : factsOf(identity));
  }

  /**
   * The tenant the administrators gave a namespace (its tenant label; undefined: none).
   * Returns whether it changed: then tenant membership, and so the policies, may differ.
   */
  setNamespaceTenant(namespace: string, tenant: string | undefined): boolean {
    if (this.identities.namespaceTenant(namespace) === tenant) return false;
    this.identities.setNamespaceTenant(namespace, tenant);
    return true;
  }

  /** After identity changes: resolution of targets, tenants and sources may differ. */
  recompileAll(): void {
    for (const key of this.sources.keys()) this.recompile(key);
  }

  /** Every declared key with this SHA-256 (hex), in any policy. */
  keysWithDigest(sha256: string): readonly CompiledKey[] {
    return this.keysByDigest.get(sha256) ?? [];
  }

  /**
   * The gated policies protecting the destination: those naming an EngineIdentity whose
   * service account is the destination principal's, and the namespace-wide ones of its
   * namespace. Without a principal, the host's namespace (<svc>.<ns>.svc...) selects the
   * namespace-wide ones only.
   */
  targetOf(destinationPrincipal: string | undefined, host: string): GateTarget {
    // Envoy sends the same destination principal with every Check to an engine: parsing
    // it again would cost more than the rest of the lookup.
    const known = destinationPrincipal ? this.principalTargets.get(destinationPrincipal) : undefined;
    if (known) return known;
    const { target, byHost } = this.resolveTarget(destinationPrincipal, host);
    if (destinationPrincipal && !byHost) {
      if (this.principalTargets.size >= MAX_CACHED_TARGETS) this.principalTargets.clear();
      this.principalTargets.set(destinationPrincipal, target);
    }
    return target;
  }

  /** `byHost`: several engines share the service account, and the host told them apart. */
  private resolveTarget(destinationPrincipal: string | undefined, host: string): { target: GateTarget; byHost: boolean } {
    const parsed = destinationPrincipal ? parseServiceAccountSpiffeId(destinationPrincipal) : undefined;
    if (destinationPrincipal && (!parsed || parsed.trustDomain !== this.trustDomain)) return { target: NO_TARGET, byHost: false };
    const namespace = parsed?.namespace ?? namespaceOfHost(host);
    if (!namespace) return { target: NO_TARGET, byHost: false };
    const cacheKey = `${namespace}/${parsed?.serviceAccount ?? ""}`;
    let entry = this.targets.get(cacheKey);
    if (!entry) {
      const inNamespace = this.byNamespace.get(namespace);
      if (!inNamespace) return { target: NO_TARGET, byHost: false };
      const namespaceWide: CompiledPolicy[] = [];
      const lists = new Map<string, CompiledPolicy[]>();
      for (const policy of inNamespace) {
        if (!policy.target) namespaceWide.push(policy);
        else if (parsed && policy.target.serviceAccount === parsed.serviceAccount) {
          const list = lists.get(policy.target.name) ?? [];
          list.push(policy);
          lists.set(policy.target.name, list);
        }
      }
      const byIdentity = new Map([...lists].map(([name, list]): [string, GateTarget] => [name, { policies: [...namespaceWide, ...list], ambiguous: false }]));
      entry = {
        byIdentity,
        single: { policies: [...namespaceWide, ...[...lists.values()].flat()], ambiguous: false },
        ambiguous: { policies: namespaceWide, ambiguous: true },
      };
      // Principals come from the caller of the Check service: bound what they can fill.
      if (this.targets.size >= MAX_CACHED_TARGETS) this.targets.clear();
      this.targets.set(cacheKey, entry);
    }
    if (entry.byIdentity.size <= 1) return { target: entry.single, byHost: false };
    // The mesh names the service account, not the engine: pick by host, else refuse.
    const hostName = host.split(".")[0]!.split(":")[0]!;
    return { target: entry.byIdentity.get(hostName) ?? entry.ambiguous, byHost: true };
  }

  private recompile(key: string): void {
    this.targets.clear();
    this.principalTargets.clear();
    const previous = this.compiled.get(key);
    const source = this.sources.get(key);
    const sameSource = previous !== undefined && source !== undefined && this.compiledFrom.get(key) === source;
    const next = source ? compilePolicy(source, this.identities, this.trustDomain, sameSource ? previous.keys : undefined) : undefined;
    if (previous) this.remove(key, previous, sameSource && next !== undefined);
    if (!next || !source) return;
    this.compiled.set(key, next);
    this.compiledFrom.set(key, source);
    let set = this.byNamespace.get(next.namespace);
    if (!set) this.byNamespace.set(next.namespace, (set = new Set()));
    set.add(next);
    if (sameSource) return; // the same key objects are already indexed
    for (const k of next.keys) {
      const list = this.keysByDigest.get(k.sha256);
      if (list) list.push(k);
      else this.keysByDigest.set(k.sha256, [k]);
    }
    this.keyCount += next.keys.length;
  }

  private remove(key: string, policy: CompiledPolicy, keepKeys: boolean): void {
    this.compiled.delete(key);
    this.compiledFrom.delete(key);
    const set = this.byNamespace.get(policy.namespace);
    set?.delete(policy);
    if (set?.size === 0) this.byNamespace.delete(policy.namespace);
    if (keepKeys) return;
    for (const k of policy.keys) {
      const list = this.keysByDigest.get(k.sha256)?.filter((other) => other !== k);
      if (list && list.length > 0) this.keysByDigest.set(k.sha256, list);
      else this.keysByDigest.delete(k.sha256);
    }
    this.keyCount -= policy.keys.length;
  }
}

function namespaceOfHost(host: string): string | undefined {
  const labels = host.split(":")[0]!.split(".");
  return labels.length >= 2 && labels[1] ? labels[1] : undefined;
}
