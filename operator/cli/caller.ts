// `--from` as the evaluator's request source: an EngineIdentity (ns/name), a SPIFFE ID,
// namespace:NS, jwt:ISSUER (with --sub and --claim), apikey:ID or anonymous.
import { principal, principalOfSpiffeId } from "../identity/spiffe.js";
import type { AccessRequest } from "../evaluate/index.js";
import { principalOfFacts, type IdentityLookup } from "../policy/identity-lookup.js";
import { UsageError } from "./exit-codes.js";

export type CallerKind = "identity" | "spiffe" | "namespace" | "jwt" | "apikey" | "anonymous";

export interface Caller {
  kind: CallerKind;
  /** As given, for output. */
  label: string;
  source: AccessRequest["source"];
  /** Assumptions made to build the request, said in the answer. */
  notes: string[];
}

export interface CallerOptions {
  sub?: string;
  claims?: string[];
  trustDomain: string;
  identities: IdentityLookup;
  /** For ns/name without a namespace part. */
  defaultNamespace: string;
}

// A service account no rendered rule names, for "any workload of the namespace".
const ANY_SERVICE_ACCOUNT = "nexus-check-any-workload";

export const CALLER_FORMS = "ns/name or name (an EngineIdentity), spiffe://..., namespace:NS, jwt:ISSUER, apikey:ID or anonymous";

export function parseCaller(text: string, options: CallerOptions): Caller {
  const notes: string[] = [];
  const claims = parseClaims(options.claims ?? []);
  if (!text.startsWith("jwt:") && (options.sub !== undefined || (options.claims ?? []).length > 0)) {
    throw new UsageError("--sub and --claim apply to --from jwt:ISSUER only");
  }
  if (text === "anonymous") return { kind: "anonymous", label: text, source: {}, notes: ["a plaintext caller without mTLS identity or token"] };
  if (text.startsWith("spiffe://")) {
    if (!/^spiffe:\/\/[^/]+\/.+/.test(text)) throw new UsageError(`--from ${text}: a SPIFFE ID is spiffe://<trust-domain>/<path>`);
    return { kind: "spiffe", label: text, source: { principal: principalOfSpiffeId(text) }, notes };
  }
  if (text.startsWith("namespace:")) {
    const namespace = text.slice("namespace:".length);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new UsageError(`--from ${text}: the namespace must be a DNS-1123 label`);
    notes.push(`any workload of namespace ${namespace}: a service account that no policy names (${ANY_SERVICE_ACCOUNT})`);
    return { kind: "namespace", label: text, source: { principal: principal(options.trustDomain, namespace, ANY_SERVICE_ACCOUNT), namespace }, notes };
  }
  if (text.startsWith("jwt:")) {
    const issuer = text.slice("jwt:".length);
    if (issuer === "") throw new UsageError("--from jwt:ISSUER needs the token's issuer, e.g. jwt:https://login.example.com");
    const subject = options.sub ?? "nexus-check-subject";
    if (options.sub === undefined) notes.push(`no --sub given: the token's subject is taken to be "${subject}"`);
    notes.push("the token is taken to be valid (signature, expiry and audience checked by the RequestAuthentication), from a caller without mTLS identity");
    return {
      kind: "jwt",
      label: text,
      source: { requestPrincipal: `${issuer}/${subject}`, claims: { ...claims, iss: [issuer], sub: [subject] }, ...(claims.aud ? { audiences: claims.aud } : {}) },
      notes,
    };
  }
  if (text.startsWith("apikey:")) {
    const id = text.slice("apikey:".length);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(id)) throw new UsageError(`--from ${text}: an API key id is a DNS-1123 label`);
    notes.push(`API key ${id} is checked by the credential gate (nexus-authz), not by Istio: to Istio the request carries no mTLS identity and no token`);
    return { kind: "apikey", label: text, source: {}, notes };
  }
  const parts = text.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) throw new UsageError(`--from ${text}: expected ${CALLER_FORMS}`);
  const [namespace, name] = parts.length === 2 ? (parts as [string, string]) : [options.defaultNamespace, parts[0]!];
  const identity = options.identities.get(namespace, name);
  if (!identity) throw new UsageError(`--from ${text}: no EngineIdentity ${namespace}/${name} in the given manifests (forms: ${CALLER_FORMS})`);
  return { kind: "identity", label: `${namespace}/${name}`, source: { principal: principalOfFacts(identity, options.trustDomain) }, notes };
}

/** --claim k=v, repeatable; several values of one claim accumulate. */
export function parseClaims(pairs: string[]): Record<string, string[]> {
  const claims: Record<string, string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--claim ${pair}: expected name=value`);
    const name = pair.slice(0, eq);
    (claims[name] ??= []).push(pair.slice(eq + 1));
  }
  return claims;
}
