// An AccessPolicy as the gate needs it: its keys by digest, its token issuers, and each
// rule's sources resolved once (when the policy or an identity changes) so that a Check
// only compares strings and sets. Resolution is the renderer's own (resolveSource, tenant
// isolation), so the gate admits exactly the callers the rendered policy names.
import type { AccessPolicy, AccessSource, JwtCaller, JwtIssuer, Operation } from "../api/types.js";
import type { IdentityFacts, IdentityLookup } from "../policy/identity-lookup.js";
import { resolveSource } from "../policy/resolve-source.js";
import { resolveTarget } from "../policy/target.js";
import { tenantIsolationFor } from "../policy/tenant-isolation.js";

export const DEFAULT_KEY_HEADER = "x-api-key";

/**
 * One declared key as the gate holds it: 100,000 of them must fit a sidecar-sized process,
 * so every key has the same six fields (one hidden class, no per-key Buffer: the digest is
 * decoded for the one or two candidates a Check confirms), and the strings are the cached
 * policy's own.
 */
export class CompiledKey {
  constructor(
    readonly id: string,
    public policy: CompiledPolicy,
    /** The declared SHA-256 (hex), the index's key. */
    readonly sha256: string,
    readonly tenant: string | undefined,
    /** Milliseconds since the epoch; undefined means unbounded. */
    readonly notBefore: number | undefined,
    readonly notAfter: number | undefined,
  ) {}
}

export type CompiledSource =
  | { kind: "keys"; ids: ReadonlySet<string> }
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
  keys: CompiledKey[];
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
export function compilePolicy(policy: AccessPolicy, identities: IdentityLookup, trustDomain: string, reusedKeys?: CompiledKey[]): CompiledPolicy | undefined {
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
    keys: [],
    issuers,
    forwardedTokenHeaders: new Set(issuers.filter((i) => i.forwardOriginalToken).flatMap((i) => (i.fromHeaders ?? [{ name: "authorization" }]).map((h) => h.name.toLowerCase()))),
    rules: [],
  };
  // Keys depend on the policy alone: when only identities changed, the compiled keys are
  // kept (and re-pointed), so re-resolving every policy does not rebuild 100,000 keys.
  if (reusedKeys) {
    for (const key of reusedKeys) key.policy = compiled;
    compiled.keys = reusedKeys;
  }
  for (const key of reusedKeys ? [] : (auth.apiKeys?.keys ?? [])) {
    if (!/^[0-9a-f]{64}$/.test(key.sha256)) continue;
    compiled.keys.push(new CompiledKey(key.id, compiled, key.sha256, key.tenant || undefined, timeOf("notBefore", key.notBefore), timeOf("notAfter", key.notAfter)));
  }
  const isolation = tenantIsolationFor(policy, target.identity, identities, trustDomain);
  const context = { policyNamespace: namespace, identities, trustDomain, declaredIssuers: new Set(issuers.map((i) => i.issuer)), ...(isolation ? { isolation } : {}) };
  // Keys of another tenant are left out of every rule unless the policy allows cross-tenant.
  const admissibleKeys = compiled.keys.filter((k) => !isolation || k.tenant === undefined || k.tenant === isolation.tenant);
  (policy.spec.rules ?? []).forEach((rule, r) => {
    const sources: CompiledSource[] = [];
    (rule.from ?? []).forEach((source, s) => {
      const compiledSource = compileSource(source, `rules[${r}].from[${s}]`, admissibleKeys, isolation?.tenant, context);
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
  keys: CompiledKey[],
  isolatedTenant: string | undefined,
  context: Parameters<typeof resolveSource>[2],
): CompiledSource | undefined {
  const apiKey = source.apiKey;
  if (apiKey) {
    if (apiKey.tenant !== undefined && isolatedTenant !== undefined && apiKey.tenant !== isolatedTenant) return undefined;
    const ids = new Set(keys.filter((k) => (apiKey.id !== undefined ? k.id === apiKey.id : apiKey.tenant !== undefined && k.tenant === apiKey.tenant)).map((k) => k.id));
    return ids.size > 0 ? { kind: "keys", ids } : undefined;
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

function timeOf(name: "notBefore" | "notAfter", value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  // An unreadable time on a key must not make it valid forever: notAfter fails closed.
  if (Number.isNaN(ms)) return name === "notAfter" ? 0 : Number.MAX_SAFE_INTEGER;
  return ms;
}
