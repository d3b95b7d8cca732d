// Who belongs to a tenant. Tenancy is the administrators' decision, made by a label on
// namespaces (cluster-scoped objects a namespace user cannot label); an EngineIdentity's
// spec.tenant is only a claim. A claim the namespace backs makes the identity a verified
// member; any other claim grants nothing but still restricts (Deny and Audit sources keep
// the claimant, and a target that claims a tenant is isolated as a member would be).
// Pure: the operator, the CLI and the gate all decide membership here.
import type { IdentityFacts } from "./identity-lookup.js";

/** The label key administrators put on namespaces, unless the operator is told another (e.g. capsule.clastix.io/tenant). */
export const DEFAULT_TENANT_LABEL = "security.nexus.io/tenant";

export const TenantReason = {
  Verified: "TenantVerified",
  NoTenant: "NoTenant",
  Mismatch: "TenantMismatch",
  NamespaceHasNoTenant: "NamespaceHasNoTenant",
} as const;

/** What an identity says about itself, before its namespace is consulted. */
export type IdentityClaim = Omit<IdentityFacts, "tenant" | "unverifiedTenant"> & {
  /** spec.tenant, as written. */
  claimedTenant?: string;
};

export interface TenantVerification {
  /** The tenant the identity is a verified member of, if any. */
  tenant?: string;
  /** A claim its namespace does not back. */
  unverifiedTenant?: string;
  /** The TenantVerified condition. */
  status: "True" | "False";
  reason: string;
  message: string;
}

// A label key as Kubernetes accepts it: an optional DNS-subdomain prefix and a name of at most 63 characters.
const LABEL_KEY = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Undefined when `key` may be the tenant label, else why not (for the setting's error message). */
export function tenantLabelProblem(key: string): string | undefined {
  const prefix = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
  if (!LABEL_KEY.test(key) || prefix.length > 253) return `must be a label key such as ${DEFAULT_TENANT_LABEL} or capsule.clastix.io/tenant; got "${key}"`;
  return undefined;
}

/** The tenant a namespace belongs to: its label, when set to something non-empty. */
export function tenantOfNamespace(labels: Readonly<Record<string, string | undefined>> | undefined, tenantLabel: string): string | undefined {
  const value = labels?.[tenantLabel];
  return value ? value : undefined;
}

/**
 * Membership of an identity in `namespace`, whose tenant (by the administrators' label) is
 * `namespaceTenant`. Without a claim the identity is a member of its namespace's tenant.
 */
export function verifyTenant(claimedTenant: string | undefined, namespace: string, namespaceTenant: string | undefined, tenantLabel = DEFAULT_TENANT_LABEL): TenantVerification {
  if (claimedTenant === undefined || claimedTenant === "") {
    if (namespaceTenant === undefined) {
      return { status: "True", reason: TenantReason.NoTenant, message: `namespace ${namespace} belongs to no tenant (no ${tenantLabel} label) and spec.tenant is not set: this identity is a member of no tenant` };
    }
    return { tenant: namespaceTenant, status: "True", reason: TenantReason.Verified, message: `member of tenant ${namespaceTenant}, the tenant of namespace ${namespace}` };
  }
  if (namespaceTenant === undefined) {
    return {
      unverifiedTenant: claimedTenant,
      status: "False",
      reason: TenantReason.NamespaceHasNoTenant,
      message: `spec.tenant claims tenant ${claimedTenant}, but namespace ${namespace} belongs to no tenant (no ${tenantLabel} label): the claim grants nothing; a cluster administrator decides membership by labelling the namespace ${tenantLabel}=${claimedTenant}`,
    };
  }
  if (claimedTenant !== namespaceTenant) {
    return {
      unverifiedTenant: claimedTenant,
      status: "False",
      reason: TenantReason.Mismatch,
      message: `spec.tenant claims tenant ${claimedTenant}, but namespace ${namespace} belongs to tenant ${namespaceTenant} (label ${tenantLabel}): this identity is a member of no tenant; set spec.tenant to ${namespaceTenant} or remove it`,
    };
  }
  return { tenant: namespaceTenant, status: "True", reason: TenantReason.Verified, message: `member of tenant ${namespaceTenant}, the tenant of namespace ${namespace}` };
}

/** The facts the renderer reads: the claim resolved against the namespace's tenant. */
export function verifiedFacts(claim: IdentityClaim, namespaceTenant: string | undefined): IdentityFacts {
  // Whatever tenant fields the claim carries are the claimant's word: dropped, then decided here.
  const { claimedTenant, tenant: _tenant, unverifiedTenant: _unverified, ...facts } = claim as IdentityClaim & Pick<IdentityFacts, "tenant" | "unverifiedTenant">;
  const verification = verifyTenant(claimedTenant, claim.namespace, namespaceTenant);
  return {
    ...facts,
    ...(verification.tenant !== undefined ? { tenant: verification.tenant } : {}),
    ...(verification.unverifiedTenant !== undefined ? { unverifiedTenant: verification.unverifiedTenant } : {}),
  };
}

/** The tenant a target is isolated as: its verified tenant, else the one it claims (a claim restricts). */
export function isolationTenantOf(facts: IdentityFacts): string | undefined {
  return facts.tenant ?? facts.unverifiedTenant;
}
