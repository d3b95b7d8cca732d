// What a policy's rendering depends on, so the reconciler re-renders exactly the policies
// an EngineIdentity change can affect.
import type { AccessPolicy } from "../api/types.js";
import { identityKey } from "./identity-lookup.js";
import { parseServiceAccountSpiffeId } from "./managed-principal.js";
import { sortedUnique } from "./sorted.js";

export interface PolicyReferences {
  /** "namespace/name" of the target and of every identity source. */
  identities: string[];
  tenants: string[];
  namespaces: string[];
}

export function policyReferences(policy: AccessPolicy): PolicyReferences {
  const { namespace } = policy.metadata;
  const identities: string[] = [];
  const tenants: string[] = [];
  const namespaces: string[] = [];
  if (policy.spec.targetIdentity !== undefined) identities.push(identityKey(namespace, policy.spec.targetIdentity));
  for (const source of (policy.spec.rules ?? []).flatMap((rule) => rule.from ?? [])) {
    if (source.identity) {
      const sourceNamespace = source.identity.namespace ?? namespace;
      identities.push(identityKey(sourceNamespace, source.identity.name));
      // Tenant isolation also looks at identities sharing that one's service account.
      namespaces.push(sourceNamespace);
    }
    if (source.tenant !== undefined) tenants.push(source.tenant);
    if (source.namespace !== undefined) namespaces.push(source.namespace);
    if (source.principal !== undefined) {
      // Tenant isolation checks whether the principal is a managed identity of another tenant.
      const parts = parseServiceAccountSpiffeId(source.principal);
      if (parts) namespaces.push(parts.namespace);
    }
  }
  return { identities: sortedUnique(identities), tenants: sortedUnique(tenants), namespaces: sortedUnique(namespaces) };
}
