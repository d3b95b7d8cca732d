// Does a rule of the target's gated policies admit this caller on this operation? Pure:
// the caller has been authenticated before (key found and valid, token verified, or the
// mesh's peer principal); this only matches the compiled rules, as Istio would.
import type { Operation } from "../api/types.js";
import { matchesIstioString } from "../evaluate/string-match.js";
import { parseServiceAccountSpiffeId } from "../policy/managed-principal.js";
import { principalOfSpiffeId } from "../identity/spiffe.js";
import { keyMeets, type CompiledKey, type CompiledPolicy, type CompiledSource } from "./compiled-policy.js";
import type { GateRequest } from "./request.js";

export interface VerifiedToken {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
  /** The policies whose declared issuer verified the token. */
  verifiedBy: ReadonlySet<CompiledPolicy>;
}

/** Who the caller proved to be: any of these may be admitted. */
export interface Caller {
  /** The peer's SPIFFE ID (mesh identity), if it presented a certificate. */
  principal?: string;
  keys: readonly CompiledKey[];
  tokens: readonly VerifiedToken[];
}

export type Admission =
  | { admitted: true; policy: CompiledPolicy; by: { kind: "key"; key: CompiledKey } | { kind: "token"; token: VerifiedToken } | { kind: "mesh"; principal: string } }
  | { admitted: false };

export function admit(policies: readonly CompiledPolicy[], caller: Caller, request: GateRequest): Admission {
  const meshPrincipal = caller.principal?.startsWith("spiffe://") ? principalOfSpiffeId(caller.principal) : undefined;
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (!operationMatches(rule.to, request)) continue;
      for (const source of rule.sources) {
        const by = sourceAdmits(source, policy, caller, meshPrincipal);
        if (by) return { admitted: true, policy, by };
      }
    }
  }
  return { admitted: false };
}

function sourceAdmits(source: CompiledSource, policy: CompiledPolicy, caller: Caller, meshPrincipal: string | undefined): Extract<Admission, { admitted: true }>["by"] | undefined {
  switch (source.kind) {
    case "keys": {
      for (const key of caller.keys) if (key.policy === policy && keyMeets(source, key.id, key.tenant)) return { kind: "key", key };
      return undefined;
    }
    case "jwt": {
      const token = caller.tokens.find((t) => t.verifiedBy.has(policy) && tokenMatches(source.caller, t));
      return token ? { kind: "token", token } : undefined;
    }
    case "principals":
      return meshPrincipal !== undefined && source.principals.has(meshPrincipal) ? { kind: "mesh", principal: caller.principal! } : undefined;
    case "namespace": {
      const parsed = caller.principal ? parseServiceAccountSpiffeId(caller.principal) : undefined;
      return parsed && parsed.namespace === source.namespace ? { kind: "mesh", principal: caller.principal! } : undefined;
    }
  }
}

function tokenMatches(wanted: { issuer: string; subjects?: string[]; audiences?: string[]; claims?: Record<string, string[] | undefined> }, token: VerifiedToken): boolean {
  if (token.issuer !== wanted.issuer) return false;
  if (wanted.subjects && wanted.subjects.length > 0 && !wanted.subjects.includes(token.subject)) return false;
  if (wanted.audiences && wanted.audiences.length > 0) {
    const audiences = claimValues(token.claims.aud);
    if (!wanted.audiences.some((a) => audiences.includes(a))) return false;
  }
  for (const [name, accepted] of Object.entries(wanted.claims ?? {})) {
    const values = claimValues(token.claims[name]);
    if (!accepted || !accepted.some((a) => values.includes(a))) return false;
  }
  return true;
}

function claimValues(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/**
 * Istio's operation semantics: every list present must match; absent lists match anything.
 * Loops rather than some() with arrow functions: this runs for every rule on every Check,
 * and the callbacks were closures allocated each time.
 */
export function operationMatches(operations: readonly Operation[] | undefined, request: GateRequest): boolean {
  if (!operations || operations.length === 0) return true;
  for (const op of operations) if (operationMatchesOne(op, request)) return true;
  return false;
}

function operationMatchesOne(op: Operation, request: GateRequest): boolean {
  if (op.methods && op.methods.length > 0 && !(op.methods as string[]).includes(request.method)) return false;
  if (op.paths && op.paths.length > 0 && !anyPathMatches(op.paths, request.path)) return false;
  if (op.ports && op.ports.length > 0 && (request.port === undefined || !op.ports.includes(request.port))) return false;
  return true;
}

function anyPathMatches(patterns: readonly string[], path: string): boolean {
  for (const pattern of patterns) if (matchesIstioString(pattern, path)) return true;
  return false;
}
