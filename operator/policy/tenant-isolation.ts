// Tenant isolation: when the target belongs to a tenant, an Allow rule must not admit the
// engines of another tenant. An identity without a tenant is not another tenant's.
import type { AccessPolicy } from "../api/types.js";
import type { IdentityFacts, IdentityLookup } from "./identity-lookup.js";
import { parseServiceAccountPrincipal } from "./managed-principal.js";
import { actionOf } from "./policy-action.js";
import { compareStrings } from "./sorted.js";

export interface TenantIsolation {
  tenant: string;
  identities: IdentityLookup;
  trustDomain: string;
}

/** The isolation an Allow policy's sources are held to, or undefined when none applies. */
export function tenantIsolationFor(
  policy: AccessPolicy,
  target: IdentityFacts | undefined,
  identities: IdentityLookup,
  trustDomain: string,
): TenantIsolation | undefined {
  if (actionOf(policy) !== "Allow") return undefined;
  if (policy.spec.allowCrossTenant || !target?.tenant) return undefined;
  return { tenant: target.tenant, identities, trustDomain };
}

export function isOtherTenant(isolation: TenantIsolation, facts: IdentityFacts): boolean {
  return facts.tenant !== undefined && facts.tenant !== isolation.tenant;
}

/**
 * Identities of other tenants that a principal would admit. Identities that share a
 * service account share the principal, so admitting one admits them all.
 */
export function otherTenantIdentitiesWithPrincipal(isolation: TenantIsolation, principal: string): IdentityFacts[] {
  const parts = parseServiceAccountPrincipal(principal);
  if (!parts || parts.trustDomain !== isolation.trustDomain) return [];
  return otherTenantIdentitiesWithServiceAccount(isolation, parts.namespace, parts.serviceAccount);
}

/** Identities of other tenants whose pods run as that service account of that namespace. */
export function otherTenantIdentitiesWithServiceAccount(isolation: TenantIsolation, namespace: string, serviceAccount: string): IdentityFacts[] {
  const sharing = isolation.identities.withServiceAccount(namespace, serviceAccount);
  // Nearly always the account's only identity, of the target's tenant: nothing to sort.
  if (!sharing.some((facts) => isOtherTenant(isolation, facts))) return [];
  return sortedByKey(sharing.filter((facts) => isOtherTenant(isolation, facts)));
}

export function otherTenantIdentitiesInNamespace(isolation: TenantIsolation, namespace: string): IdentityFacts[] {
  return sortedByKey(isolation.identities.inNamespace(namespace).filter((facts) => isOtherTenant(isolation, facts)));
}

function sortedByKey(identities: IdentityFacts[]): IdentityFacts[] {
  return [...identities].sort((a, b) => compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name));
}
