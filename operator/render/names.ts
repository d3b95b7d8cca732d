// The names of every object the operator renders into the mesh, in one place. AccessPolicy
// and EngineIdentity names are DNS-1123 labels (admission refuses a dot), and every suffix
// added here starts with a dot, so no two rendered names can collide: not two policies, not a
// policy's shard with another policy, not a policy or an identity with the namespace baseline.
// Everything else (renderer, reconcilers, CLI, tests, benchmarks) asks this module.

const PREFIX = "nexus";

/** The first (or only) AuthorizationPolicy of an AccessPolicy: `nexus-<policy>`. */
export function policyObjectName(policyName: string): string {
  return `${PREFIX}-${policyName}`;
}

/**
 * The AccessPolicy whose rendered objects may carry this name: `nexus-<policy>` and every
 * `nexus-<policy>.<suffix>` (a policy's name has no dot). Undefined for any other name.
 */
export function policyNameOfObjectName(name: string): string | undefined {
  const prefix = `${PREFIX}-`;
  if (!name.startsWith(prefix)) return undefined;
  const dot = name.indexOf(".", prefix.length);
  const policyName = dot < 0 ? name.slice(prefix.length) : name.slice(prefix.length, dot);
  return policyName === "" ? undefined : policyName;
}

/** Shard `n` of an AccessPolicy's AuthorizationPolicy: n = 0 is the first object, `nexus-<policy>.<n>` the others. */
export function shardName(policyName: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`shard number must be a non-negative integer, got ${n}`);
  return n === 0 ? policyObjectName(policyName) : `${policyObjectName(policyName)}.${n}`;
}

/** The RequestAuthentication of an AccessPolicy and its require-JWT AuthorizationPolicy (one of each kind): `nexus-<policy>.jwt`. */
export function jwtName(policyName: string): string {
  return `${policyObjectName(policyName)}.jwt`;
}

/** The CUSTOM AuthorizationPolicy of the credential gate: `nexus-<policy>.gate`. */
export function gateName(policyName: string): string {
  return `${policyObjectName(policyName)}.gate`;
}

// Ambient targets (api.md "Data planes"): what ztunnel enforces is bound by selector, what the
// waypoint enforces by targetRefs. Each gets names of its own, distinct from the sidecar
// form's, because a namespace migrating between data planes holds both forms at once.

/** Shard `n` of the policy's rules at the waypoint (targetRefs): `nexus-<policy>.waypoint`, `nexus-<policy>.waypoint.<n>`. */
export function waypointShardName(policyName: string, n: number): string {
  return suffixedShard(`${policyObjectName(policyName)}.waypoint`, n);
}

/** Shard `n` of the policy's rules at ztunnel (selector, L4 only): `nexus-<policy>.ztunnel`, `nexus-<policy>.ztunnel.<n>`. */
export function ztunnelShardName(policyName: string, n: number): string {
  return suffixedShard(`${policyObjectName(policyName)}.ztunnel`, n);
}

/** The credential gate's CUSTOM policy at the waypoint: `nexus-<policy>.gate.waypoint`. */
export function waypointGateName(policyName: string): string {
  return `${gateName(policyName)}.waypoint`;
}

/** At ztunnel, the Deny that keeps traffic skipping the waypoint (and so the gate) off the gated operations: `nexus-<policy>.gate.ztunnel`. */
export function ztunnelGateName(policyName: string): string {
  return `${gateName(policyName)}.ztunnel`;
}

/** The RequestAuthentication and require-JWT policy at the waypoint: `nexus-<policy>.jwt.waypoint`. */
export function waypointJwtName(policyName: string): string {
  return `${jwtName(policyName)}.waypoint`;
}

/** The require-JWT Deny at ztunnel, for traffic that skips the waypoint (it can carry no verified token): `nexus-<policy>.jwt.ztunnel`. */
export function ztunnelJwtName(policyName: string): string {
  return `${jwtName(policyName)}.ztunnel`;
}

/** Whether `name` is one of the policy's shards at the waypoint: `nexus-<p>.waypoint[.<n>]`. */
export function isWaypointShardName(policyName: string, name: string): boolean {
  return isSuffixedShard(waypointShardName(policyName, 0), name);
}

/** Whether `name` is one of the policy's shards at ztunnel: `nexus-<p>.ztunnel[.<n>]`. */
export function isZtunnelShardName(policyName: string, name: string): boolean {
  return isSuffixedShard(ztunnelShardName(policyName, 0), name);
}

function isSuffixedShard(base: string, name: string): boolean {
  return name === base || (name.startsWith(`${base}.`) && /^[1-9][0-9]*$/.test(name.slice(base.length + 1)));
}

function suffixedShard(base: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`shard number must be a non-negative integer, got ${n}`);
  return n === 0 ? base : `${base}.${n}`;
}

/** The workload PeerAuthentication of a target EngineIdentity: `nexus-<identity>.mtls`. */
export function workloadMtlsName(identityName: string): string {
  return `${PREFIX}-${identityName}.mtls`;
}

/** The namespace baseline: an allow-nothing AuthorizationPolicy and a STRICT PeerAuthentication. */
export const DEFAULT_DENY_NAME = `${PREFIX}.default-deny`;
export const STRICT_MTLS_NAME = `${PREFIX}.strict-mtls`;

/**
 * Whether `name` is one the current scheme gives an object of this kind rendered from the
 * AccessPolicy `policyName`. Objects the policy owns under any other name were written by an
 * operator before the scheme changed (`nexus-<p>-<n>`, `-require-jwt`, `-gate`, a
 * RequestAuthentication `nexus-<p>`): they are migrated, removed once their replacements are
 * written.
 */
export function isCurrentPolicyObjectName(policyName: string, kind: string, name: string): boolean {
  if (kind === "RequestAuthentication") return name === jwtName(policyName) || name === waypointJwtName(policyName);
  if (kind !== "AuthorizationPolicy") return false;
  return name === policyObjectName(policyName) || name.startsWith(`${policyObjectName(policyName)}.`);
}

/**
 * A shard of the policy's own rules (not its `.jwt` or `.gate` objects), which carries the
 * policy's action: the sidecar form's `nexus-<p>`, `nexus-<p>.<n>` and the ambient form's
 * `nexus-<p>.waypoint[.<n>]` and `nexus-<p>.ztunnel[.<n>]`.
 */
export function isShardName(policyName: string, name: string): boolean {
  const base = policyObjectName(policyName);
  if (name === base) return true;
  const prefix = `${base}.`;
  if (!name.startsWith(prefix)) return false;
  return /^(?:(?:waypoint|ztunnel)(?:\.[1-9][0-9]*)?|[1-9][0-9]*)$/.test(name.slice(prefix.length));
}

/** Whether `name` is one the current scheme gives a baseline or workload mTLS object of this kind. */
export function isCurrentNamespaceObjectName(kind: string, name: string): boolean {
  if (name === DEFAULT_DENY_NAME) return kind === "AuthorizationPolicy";
  if (name === STRICT_MTLS_NAME) return kind === "PeerAuthentication";
  return kind === "PeerAuthentication" && name.startsWith(`${PREFIX}-`) && name.endsWith(".mtls");
}

/** Names an operator wrote before 2026-12-04, for tests and tools that recreate what it left behind. */
export const legacyNames = {
  shard: (policyName: string, n: number) => (n === 0 ? policyObjectName(policyName) : `${policyObjectName(policyName)}-${n}`),
  requireJwt: (policyName: string) => `${policyObjectName(policyName)}-require-jwt`,
  requestAuthentication: (policyName: string) => policyObjectName(policyName),
  gate: (policyName: string) => `${policyObjectName(policyName)}-gate`,
  workloadMtls: (identityName: string) => `${PREFIX}-${identityName}-mtls`,
  defaultDeny: `${PREFIX}-default-deny`,
  strictMtls: `${PREFIX}-strict-mtls`,
} as const;
