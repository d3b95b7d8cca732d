// One NEXUS source -> what Istio can match, or the reason it is left out. Every path that
// cannot prove who the caller is leaves the source out: fail closed, never "anyone".
import type { AccessSource, IdentityReference, JwtCaller } from "../api/types.js";
import { resolveApiKeySource, type ApiKeyContext } from "./api-key-source.js";
import { principal as principalOf, principalOfSpiffeId } from "../identity/spiffe.js";
import { principalOfFacts, type IdentityFacts, type IdentityLookup } from "./identity-lookup.js";
import { isSpiffeId } from "./managed-principal.js";
import { SourceReason } from "./reasons.js";
import { compareStrings, sortedUnique } from "./sorted.js";
import {
  otherTenantIdentitiesInNamespace,
  otherTenantIdentitiesWithPrincipal,
  otherTenantIdentitiesWithServiceAccount,
  otherTenantOfNamespace,
  otherTenantOfPrincipalNamespace,
  type TenantIsolation,
} from "./tenant-isolation.js";

/**
 * What status.unresolved says of a source that is in force but not as written: narrowed
 * (some of its engines are left out) or assumed (a Deny of a missing identity).
 */
export interface SourceNote {
  effect: "Narrowed" | "Assumed";
  reason: string;
  message: string;
  engines?: string[];
}

export type ResolvedSource =
  | { kind: "principals"; principals: string[]; notes?: SourceNote[] }
  | { kind: "namespace"; namespace: string }
  | { kind: "jwt"; caller: JwtCaller }
  | { kind: "apiKey"; keyIds: string[] }
  | { kind: "left-out"; reason: string; message: string; engines?: string[] };

export interface SourceContext extends ApiKeyContext {
  policyNamespace: string;
  identities: IdentityLookup;
  trustDomain: string;
  /**
   * Issuers of authentication.jwt: an Allow for any other issuer could never match, so it
   * is left out. Absent for Deny and Audit, where matching a token only ever narrows
   * access (another policy may validate that issuer's tokens for the same workload).
   */
  declaredIssuers?: ReadonlySet<string>;
  isolation?: TenantIsolation;
  /**
   * Deny and Audit: a missing identity is matched by the principal its name would have with
   * the default service account. Leaving it out would let a workload that runs as that
   * service account, without an EngineIdentity, through a Deny.
   */
  assumeMissingIdentities?: boolean;
  /**
   * Deny and Audit: a `tenant:` source also matches identities that claim the tenant
   * without being members. A claim never grants, but it may restrict.
   */
  includeUnverifiedClaims?: boolean;
}

/** `at` locates the source for people, e.g. rules[0].from[2]. */
export function resolveSource(source: AccessSource, at: string, context: SourceContext): ResolvedSource {
  const kinds = (["identity", "tenant", "namespace", "principal", "jwt", "apiKey"] as const).filter((k) => source[k] !== undefined);
  if (kinds.length !== 1) {
    return leftOut(SourceReason.InvalidSource, `${at} sets ${kinds.length === 0 ? "none" : kinds.join(", ")} of identity, tenant, namespace, principal, jwt, apiKey; set exactly one`);
  }
  if (source.apiKey) return resolveApiKeySource(source.apiKey, at, context);
  if (source.identity) return resolveIdentity(source.identity, at, context);
  if (source.tenant !== undefined) return resolveTenant(source.tenant, at, context);
  if (source.namespace !== undefined) return resolveNamespace(source.namespace, at, context);
  if (source.principal !== undefined) return resolvePrincipal(source.principal, at, context);
  return resolveJwt(source.jwt as JwtCaller, at, context);
}

function resolveIdentity(reference: IdentityReference, at: string, context: SourceContext): ResolvedSource {
  const namespace = reference.namespace ?? context.policyNamespace;
  const identity = context.identities.get(namespace, reference.name);
  if (!identity) {
    if (context.assumeMissingIdentities) {
      const assumed = principalOf(context.trustDomain, namespace, reference.name);
      return {
        kind: "principals",
        principals: [assumed],
        notes: [
          {
            effect: "Assumed",
            reason: SourceReason.IdentityNotFound,
            message: `${at} names EngineIdentity ${namespace}/${reference.name}, which does not exist; matched as ${assumed}, the principal it would have with its default service account`,
          },
        ],
      };
    }
    return leftOut(SourceReason.IdentityNotFound, `${at} names EngineIdentity ${namespace}/${reference.name}, which does not exist; create it or correct the reference`);
  }
  const principal = principalOfFacts(identity, context.trustDomain);
  if (context.isolation) {
    // The principal names the identity's own service account: asked of it directly, not parsed back.
    const others =
      context.isolation.trustDomain === context.trustDomain
        ? otherTenantIdentitiesWithServiceAccount(context.isolation, identity.namespace, identity.serviceAccount)
        : otherTenantIdentitiesWithPrincipal(context.isolation, principal);
    if (others.some((other) => other.namespace === identity.namespace && other.name === identity.name)) {
      return leftOut(SourceReason.CrossTenant, `${at} names EngineIdentity ${namespace}/${reference.name} of tenant ${tenantOf(identity)}, not the target's tenant ${context.isolation.tenant}; set allowCrossTenant: true to admit other tenants`, [identity]);
    }
    const namespaceTenant = otherTenantOfNamespace(context.isolation, identity.namespace);
    if (namespaceTenant !== undefined) {
      return leftOut(SourceReason.CrossTenant, `${at} names EngineIdentity ${namespace}/${reference.name}, whose namespace belongs to tenant ${namespaceTenant}, not the target's tenant ${context.isolation.tenant}; set allowCrossTenant: true to admit other tenants`, [identity]);
    }
    if (others.length > 0) {
      return leftOut(SourceReason.CrossTenant, `${at} names EngineIdentity ${namespace}/${reference.name}, whose service account ${identity.serviceAccount} is shared with ${describe(others)}, so admitting it would admit another tenant; give it a service account of its own`, others);
    }
  }
  return { kind: "principals", principals: [principal] };
}

function resolveTenant(tenant: string, at: string, context: SourceContext): ResolvedSource {
  if (context.isolation && tenant !== context.isolation.tenant) {
    return leftOut(SourceReason.CrossTenant, `${at} names tenant ${tenant}, not the target's tenant ${context.isolation.tenant}; set allowCrossTenant: true to admit other tenants`, [...context.identities.withTenant(tenant), ...context.identities.withUnverifiedClaim(tenant)]);
  }
  const { members, admitted, excluded, sharers, claimants } = tenantMembership(tenant, context);
  if (members === 0 && claimants.length === 0) {
    return leftOut(SourceReason.TenantEmpty, `${at} names tenant ${tenant}, which no EngineIdentity belongs to; a cluster administrator makes a namespace's identities members by labelling it with the tenant label, or correct the name`);
  }
  // Deny and Audit: a claim restricts, so its claimants are matched too.
  if (context.includeUnverifiedClaims) {
    const principals = sortedUnique([...admitted, ...claimants.map((c) => principalOfFacts(c, context.trustDomain))]);
    return { kind: "principals", principals };
  }
  const claimNote = claimants.length > 0 ? unverifiedClaimNote(tenant, at, claimants) : undefined;
  if (admitted.length === 0) {
    if (members === 0) return leftOut(SourceReason.TenantNotVerified, claimNote!.message, claimants);
    const sharing = `${at} names tenant ${tenant}, whose every engine shares its service account with another tenant's engine (${describe(uniqueIdentities(sharers))}); give them service accounts of their own`;
    return leftOut(SourceReason.CrossTenant, claimNote ? `${sharing}; ${claimNote.message}` : sharing, [...excluded, ...claimants]);
  }
  const notes: SourceNote[] = [];
  if (excluded.length > 0) {
    const count = `${excluded.length} of its ${members} engines`;
    notes.push({
      effect: "Narrowed",
      reason: SourceReason.CrossTenant,
      message: `${at} names tenant ${tenant}; ${count} ${excluded.length === 1 ? "is" : "are"} left out (${names(excluded)}) because ${excluded.length === 1 ? "its service account is" : "their service accounts are"} shared with another tenant's engine (${describe(uniqueIdentities(sharers))}); give them service accounts of their own`,
      engines: engineList(excluded),
    });
  }
  if (claimNote) notes.push(claimNote);
  return notes.length > 0 ? { kind: "principals", principals: admitted, notes } : { kind: "principals", principals: admitted };
}

/** Identities that claim the tenant without being members are left out of an Allow, and named. */
function unverifiedClaimNote(tenant: string, at: string, claimants: readonly IdentityFacts[]): SourceNote {
  const verb = claimants.length === 1 ? "claims" : "claim";
  return {
    effect: "Narrowed",
    reason: SourceReason.TenantNotVerified,
    message: `${at} names tenant ${tenant}; ${names([...claimants])} ${verb} it in spec.tenant but ${claimants.length === 1 ? "its namespace is" : "their namespaces are"} not of tenant ${tenant}, so ${claimants.length === 1 ? "it is" : "they are"} left out (a tenant's members are decided by the administrators' namespace label)`,
    engines: engineList([...claimants]),
  };
}

interface TenantMembership {
  members: number;
  /** Sorted, unique principals of the members that may be admitted. */
  admitted: string[];
  /** Members left out: another tenant's engine shares their service account. */
  excluded: IdentityFacts[];
  /** Those other tenants' engines. */
  sharers: IdentityFacts[];
  /** Identities that claim the tenant but are not members: never admitted by an Allow. */
  claimants: IdentityFacts[];
}

/**
 * Which members of a tenant a source may admit under the target's isolation. The same for
 * every policy whose target is of the same tenant, so it is asked of the identities once
 * per change of them (the answer is shared: never modified).
 */
function tenantMembership(tenant: string, context: SourceContext): TenantMembership {
  const isolation = context.isolation;
  return context.identities.derived(`tenant-membership\0${tenant}\0${isolation?.tenant ?? ""}\0${context.trustDomain}`, () => {
    const members = context.identities.withTenant(tenant);
    const admitted: string[] = [];
    const excluded: IdentityFacts[] = [];
    const sharers: IdentityFacts[] = [];
    for (const member of members) {
      const memberPrincipal = principalOfFacts(member, context.trustDomain);
      // A member whose service account another tenant's engine shares would admit that engine too.
      const others = isolation ? otherTenantIdentitiesWithPrincipal(isolation, memberPrincipal) : [];
      if (others.length === 0) {
        admitted.push(memberPrincipal);
      } else {
        excluded.push(member);
        sharers.push(...others);
      }
    }
    const claimants = uniqueIdentities(context.identities.withUnverifiedClaim(tenant));
    return { members: members.length, admitted: sortedUnique(admitted), excluded, sharers, claimants };
  });
}

function resolveNamespace(namespace: string, at: string, context: SourceContext): ResolvedSource {
  if (context.isolation) {
    const namespaceTenant = otherTenantOfNamespace(context.isolation, namespace);
    if (namespaceTenant !== undefined) {
      return leftOut(SourceReason.CrossTenant, `${at} names namespace ${namespace}, which belongs to tenant ${namespaceTenant}, not the target's tenant ${context.isolation.tenant}; set allowCrossTenant: true to admit other tenants`);
    }
    const others = otherTenantIdentitiesInNamespace(context.isolation, namespace);
    if (others.length > 0) {
      return leftOut(SourceReason.CrossTenant, `${at} names namespace ${namespace}, which holds ${describe(others)}; name the identities or the tenant ${context.isolation.tenant} instead, or set allowCrossTenant: true`, others);
    }
  }
  return { kind: "namespace", namespace };
}

function resolvePrincipal(spiffeId: string, at: string, context: SourceContext): ResolvedSource {
  if (!isSpiffeId(spiffeId)) {
    return leftOut(SourceReason.InvalidPrincipal, `${at} is not a SPIFFE ID; write it as spiffe://<trust-domain>/<path>`);
  }
  const principal = principalOfSpiffeId(spiffeId);
  if (context.isolation) {
    const inNamespace = otherTenantOfPrincipalNamespace(context.isolation, principal);
    if (inNamespace) {
      return leftOut(SourceReason.CrossTenant, `${at} is a workload of namespace ${inNamespace.namespace}, which belongs to tenant ${inNamespace.tenant}, not the target's tenant ${context.isolation.tenant}; set allowCrossTenant: true to admit other tenants`);
    }
    const others = otherTenantIdentitiesWithPrincipal(context.isolation, principal);
    if (others.length > 0) {
      return leftOut(SourceReason.CrossTenant, `${at} is the identity of ${describe(others)}; set allowCrossTenant: true to admit other tenants`, others);
    }
  }
  return { kind: "principals", principals: [principal] };
}

function resolveJwt(caller: JwtCaller, at: string, context: SourceContext): ResolvedSource {
  if (context.declaredIssuers && !context.declaredIssuers.has(caller.issuer)) {
    return leftOut(SourceReason.IssuerNotDeclared, `${at} accepts tokens of issuer ${caller.issuer}, which authentication.jwt does not declare, so no such token is ever validated; declare the issuer or correct it`);
  }
  // Dropping the condition of a claim with no accepted value would accept any value.
  const claimsWithoutValues = Object.keys(caller.claims ?? {}).filter((name) => !caller.claims?.[name]?.length);
  if (claimsWithoutValues.length > 0) {
    return leftOut(SourceReason.InvalidSource, `${at} requires claims ${sortedUnique(claimsWithoutValues).join(", ")} without any accepted value; list the accepted values`);
  }
  return { kind: "jwt", caller };
}

/** "acme", or "beta (claimed, not verified)" for a claim its namespace does not back. */
function tenantOf(identity: IdentityFacts): string {
  return identity.tenant ?? `${identity.unverifiedTenant} (claimed, not verified)`;
}

function describe(identities: IdentityFacts[]): string {
  const names = identities.map((i) => `EngineIdentity ${i.namespace}/${i.name} of tenant ${tenantOf(i)}`);
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

function names(identities: IdentityFacts[]): string {
  const keys = identities.map((i) => `${i.namespace}/${i.name}`);
  return keys.length <= 3 ? keys.join(", ") : `${keys.slice(0, 3).join(", ")} and ${keys.length - 3} more`;
}

/** The engines a status entry lists: sorted, and few enough for a status (the message gives the count). */
const MAX_ENGINES_LISTED = 20;
function engineList(identities: IdentityFacts[]): string[] {
  return sortedUnique(identities.map((i) => `${i.namespace}/${i.name}`)).slice(0, MAX_ENGINES_LISTED);
}

function uniqueIdentities(identities: IdentityFacts[]): IdentityFacts[] {
  const byKey = new Map(identities.map((i) => [`${i.namespace}/${i.name}`, i]));
  return [...byKey.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, i]) => i);
}

function leftOut(reason: string, message: string, engines?: IdentityFacts[]): ResolvedSource {
  return { kind: "left-out", reason, message, ...(engines?.length ? { engines: engineList(engines) } : {}) };
}
