// An AccessPolicy as the gate needs it: its keys by digest, its token issuers, and each
// rule's sources resolved once (when the policy or an identity changes) so that a Check
// only compares strings and sets. Resolution is the renderer's own (resolveSource, tenant
// isolation), so the gate admits exactly the callers the rendered policy names.
import type { AccessPolicy, AccessSource, JwtCaller, JwtIssuer, Operation } from "../api/types.js";
import type { IdentityFacts, IdentityLookup } from "../policy/identity-lookup.js";
import { resolveSource } from "../policy/resolve-source.js";
import { resolveTarget } from "../policy/target.js";
import { tenantIsolationFor } from "../policy/tenant-isolation.js";
import { declaredKeysOf, type DeclaredKeys } from "./declared-keys.js";

export const DEFAULT_KEY_HEADER = "x-api-key";

/**
 * A declared key a presented key was found to be: made for that Check from the policy's
 * DeclaredKeys (the gate keeps no object per key).
 */
export class CompiledKey {
  constructor(
    readonly id: string,
    readonly policy: CompiledPolicy,
    readonly tenant: string | undefined,
    /** Milliseconds since the epoch; undefined means unbounded. */
    readonly notBefore: number | undefined,
    readonly notAfter: number | undefined,
  ) {}
}

export type CompiledSource =
  /** A key of this policy with this id, or of this tenant; never one of another tenant than isolatedTenant. */
  | { kind: "keys"; id?: string; tenant?: string; isolatedTenant?: string }
  | { kind: "principals"; principals: ReadonlySet<string> }
  | { kind: "namespace"; namespace: string }
  | { kind: "jwt"; caller: JwtCaller };

export interface CompiledRule {
  sources: CompiledSource[];
  to?: Operation[];
}

export interface CompiledPolicy {
  namespace: string;
  name: string;
  policyHash?: string;
  /** The target identity's facts; absent for a namespace-wide policy. */
  target?: IdentityFacts;
  /** The target's workload selector as the renderer reads it (detection of its data planes); absent for a namespace-wide policy. */
  selector?: Readonly<Record<string, string>>;
  keyHeader: string;
  keys: DeclaredKeys;
  issuers: JwtIssuer[];
  /** Headers whose token an issuer asks to forward (forwardOriginalToken), lower-cased. */
  forwardedTokenHeaders: ReadonlySet<string>;
  rules: CompiledRule[];
}

/** True when requests to the policy's target pass through the gate. */
export function isGated(policy: AccessPolicy): boolean {
  if ((policy.spec.action ?? "Allow") !== "Allow") return false;
  const auth = policy.spec.authentication;
  return auth?.gate ?? auth?.apiKeys !== undefined;
}

/**
 * The gate's view of a gated policy, or undefined when the gate must not act on it (not
 * gated, or a named target that does not resolve: the operator renders nothing for it).
 */
export function compilePolicy(policy: AccessPolicy, identities: IdentityLookup, trustDomain: string): CompiledPolicy | undefined {
  if (!isGated(policy)) return undefined;
  const target = resolveTarget(policy, identities);
  if (!target.resolved) return undefined;
  const { namespace, name } = policy.metadata;
  const auth = policy.spec.authentication ?? {};
  const issuers = auth.jwt ?? [];
  const compiled: CompiledPolicy = {
    namespace,
    name,
    ...(policy.status?.policyHash ? { policyHash: policy.status.policyHash } : {}),
    ...(target.identity ? { target: target.identity } : {}),
    ...(target.selector ? { selector: target.selector.matchLabels } : {}),
    keyHeader: (auth.apiKeys?.header ?? DEFAULT_KEY_HEADER).toLowerCase(),
    // Keys depend on the policy object alone: compiling it again when identities change
    // finds the same DeclaredKeys, so the index keeps them as they are (gate-index.ts).
    keys: declaredKeysOf(policy),
    issuers,
    forwardedTokenHeaders: new Set(issuers.filter((i) => i.forwardOriginalToken).flatMap((i) => (i.fromHeaders ?? [{ name: "authorization" }]).map((h) => h.name.toLowerCase()))),
    rules: [],
  };
  const isolation = tenantIsolationFor(policy, target.identity, identities, trustDomain);
  const context = { policyNamespace: namespace, identities, trustDomain, declaredIssuers: new Set(issuers.map((i) => i.issuer)), ...(isolation ? { isolation } : {}) };
  (policy.spec.rules ?? []).forEach((rule, r) => {
    const sources: CompiledSource[] = [];
    (rule.from ?? []).forEach((source, s) => {
      const compiledSource = compileSource(source, `rules[${r}].from[${s}]`, compiled.keys, isolation?.tenant, context);
      if (compiledSource) sources.push(compiledSource);
    });
    // A rule whose sources all fail to resolve admits nobody (never "anyone").
    if (sources.length > 0) compiled.rules.push({ sources, ...(rule.to ? { to: rule.to } : {}) });
  });
  return compiled;
}

function compileSource(
  source: AccessSource,
  at: string,
  keys: DeclaredKeys,
  isolatedTenant: string | undefined,
  context: Parameters<typeof resolveSource>[2],
): CompiledSource | undefined {
  const apiKey = source.apiKey;
  if (apiKey) {
    if (apiKey.tenant !== undefined && isolatedTenant !== undefined && apiKey.tenant !== isolatedTenant) return undefined;
    let wanted: Extract<CompiledSource, { kind: "keys" }>;
    if (apiKey.id !== undefined) wanted = { kind: "keys", id: apiKey.id };
    else if (apiKey.tenant !== undefined) wanted = { kind: "keys", tenant: apiKey.tenant };
    else return undefined;
    if (isolatedTenant !== undefined) wanted.isolatedTenant = isolatedTenant;
    // A source no declared key meets admits nobody, and is left out as before.
    return keys.some((id, tenant) => keyMeets(wanted, id, tenant)) ? wanted : undefined;
  }
  const resolved = resolveSource(source, at, context);
  switch (resolved.kind) {
    case "principals":
      return { kind: "principals", principals: new Set(resolved.principals) };
    case "namespace":
      return { kind: "namespace", namespace: resolved.namespace };
    case "jwt":
      return { kind: "jwt", caller: resolved.caller };
    default:
      return undefined;
  }
}

/**
 * Whether a key of the policy meets a rule's key source: its id, or its tenant; a key of
 * another tenant never, where the policy's target is isolated to one (unless it allows
 * cross-tenant callers, then isolatedTenant is absent).
 */
export function keyMeets(source: Extract<CompiledSource, { kind: "keys" }>, id: string, tenant: string | undefined): boolean {
  if (source.isolatedTenant !== undefined && tenant !== undefined && tenant !== source.isolatedTenant) return false;
  return source.id !== undefined ? id === source.id : tenant === source.tenant;
}
