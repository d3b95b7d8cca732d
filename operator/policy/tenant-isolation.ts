// Tenant isolation: when the target belongs to a tenant, an Allow rule must not admit the
// engines of another tenant. An identity without a tenant is not another tenant's. Claims
// restrict without granting: a target that claims a tenant is isolated as a member of it
// would be, and an identity that claims another tenant counts as that tenant's here, as does
// any workload of a namespace the administrators gave to another tenant.
import type { AccessPolicy } from "../api/types.js";
import type { IdentityFacts, IdentityLookup } from "./identity-lookup.js";
import { parseServiceAccountPrincipal } from "./managed-principal.js";
import { actionOf } from "./policy-action.js";
import { compareStrings } from "./sorted.js";
import { isolationTenantOf } from "./tenancy.js";

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
  const tenant = target && !policy.spec.allowCrossTenant ? isolationTenantOf(target) : undefined;
  if (tenant === undefined) return undefined;
  return { tenant, identities, trustDomain };
}

export function isOtherTenant(isolation: TenantIsolation, facts: IdentityFacts): boolean {
  return (facts.tenant !== undefined && facts.tenant !== isolation.tenant) || (facts.unverifiedTenant !== undefined && facts.unverifiedTenant !== isolation.tenant);
}

/** The tenant of the namespace, when the administrators gave it to another tenant than the target's. */
export function otherTenantOfNamespace(isolation: TenantIsolation, namespace: string): string | undefined {
  const tenant = isolation.identities.namespaceTenant(namespace);
  return tenant !== undefined && tenant !== isolation.tenant ? tenant : undefined;
}

/** The tenant of the namespace a principal's service account lives in, when it is another tenant's. */
export function otherTenantOfPrincipalNamespace(isolation: TenantIsolation, principal: string): { namespace: string; tenant: string } | undefined {
  const parts = parseServiceAccountPrincipal(principal);
  if (!parts || parts.trustDomain !== isolation.trustDomain) return undefined;
  const tenant = otherTenantOfNamespace(isolation, parts.namespace);
  return tenant === undefined ? undefined : { namespace: parts.namespace, tenant };
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
