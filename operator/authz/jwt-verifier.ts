// Token verification with jose against the issuers the target's policies declare: a remote
// JWKS (jwksUri, cached, and fetched again for an unknown kid at most once per cooldown) or
// an inline one. Only asymmetric algorithms are accepted, so "alg: none" and HMAC tokens
// signed with a public key are refused.
import { hash } from "node:crypto";
import { createLocalJWKSet, createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { JwtIssuer } from "../api/types.js";
import type { VerifiedToken } from "./authorize.js";
import type { CompiledPolicy } from "./compiled-policy.js";
import { Reason } from "./decision.js";
import type { TokenCheck, TokenVerifier } from "./gate.js";
import { ByteBoundedCache } from "./byte-bounded-cache.js";
import type { JwksFetchGuard } from "./jwks-fetch.js";

/** The contract's limit on an inline JWKS (authentication.jwt[].jwks), also enforced by the CRD. */
export const MAX_INLINE_JWKS_BYTES = 16 * 1024;
/** What a remote key set is assumed to keep alive (document and imported keys) in the byte budget. */
const REMOTE_KEY_SET_BYTES = 128 * 1024;

const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
/** Larger than any token a real issuer sends; a bigger one is refused before parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;
/**
 * A verified token is remembered (as Envoy's jwt_authn caches them) for at most this long,
 * never past its exp, and only while its kid is still in the issuer's published set, so a
 * key the issuer withdraws stops its tokens at the next refresh of the set.
 */
const VERIFIED_TTL_MS = 60_000;

interface Remembered {
  payload: Record<string, unknown>;
  until: number;
  kid: string | undefined;
  keySet: JWTVerifyGetKey & { jwks?: () => { keys: Array<{ kid?: string }> } | undefined };
}

export interface JwtVerifierOptions {
  /** Least time between two fetches of one JWKS (jose's cooldown). */
  cooldownMs: number;
  /** Time a fetched JWKS is trusted before it is fetched again. */
  cacheMaxAgeMs: number;
  /** Clock skew allowed on exp and nbf, as Envoy's jwt_authn allows 60 s by default. */
  clockToleranceSeconds: number;
  timeoutMs?: number;
  /** Byte budget of the verified-token caches (two of them, half each). */
  tokenCacheBytes?: number;
  /** Byte budget of the key sets. */
  keySetCacheBytes?: number;
  /** Where remote JWKS may be fetched from; without it no remote JWKS is fetched. */
  fetchGuard?: JwksFetchGuard;
}

/** A token accepted for one list of policies, with the signatures that accepted it. */
interface Accepted {
  policies: readonly CompiledPolicy[];
  check: TokenCheck;
  signatures: Remembered[];
}

export class JoseTokenVerifier implements TokenVerifier {
  // Every cache is keyed by digests (of the token, of the JWKS source) and bounded in bytes:
  // tokens and inline key sets are chosen by callers and namespace users.
  private readonly keySets: ByteBoundedCache<JWTVerifyGetKey>;
  private readonly verified: ByteBoundedCache<Remembered>;
  /**
   * The last answer per token, for the list of policies it was checked against: a client
   * sends the same token with each request, and reading its header and claims again, per
   * declared issuer, costs more than the rest of the decision. Valid only while the index
   * hands out that same list (no policy changed) and each signature that accepted it is
   * still remembered as above.
   */
  private readonly accepted: ByteBoundedCache<Accepted>;

  constructor(private readonly options: JwtVerifierOptions) {
    const tokenBytes = options.tokenCacheBytes ?? 16 * 1024 * 1024;
    this.accepted = new ByteBoundedCache(Math.floor(tokenBytes / 2));
    this.verified = new ByteBoundedCache(Math.floor(tokenBytes / 2));
    this.keySets = new ByteBoundedCache(options.keySetCacheBytes ?? 8 * 1024 * 1024);
  }

  /** Bytes held by the caches, for tests and metrics. */
  get cachedBytes(): { tokens: number; keySets: number } {
    return { tokens: this.accepted.bytes + this.verified.bytes, keySets: this.keySets.bytes };
  }

  async verify(token: string, policies: readonly CompiledPolicy[]): Promise<TokenCheck> {
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: Reason.InvalidToken };
    const tokenDigest = digest(token);
    const known = this.accepted.get(tokenDigest);
    if (known && known.policies === policies && known.signatures.every((signature) => stillValid(signature))) return known.check;
    if (known) this.accepted.delete(tokenDigest);
    const signatures: Remembered[] = [];
    const check = await this.check(token, tokenDigest, policies, signatures);
    // The decoded claims are kept, about as large as the token; the policies list is shared.
    if (check.ok) this.accepted.set(tokenDigest, { policies, check, signatures }, 512 + 2 * token.length);
    return check;
  }

  private async check(token: string, tokenDigest: string, policies: readonly CompiledPolicy[], signatures: Remembered[]): Promise<TokenCheck> {
    let issuer: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (!header.alg || !ALGORITHMS.includes(header.alg)) return { ok: false, reason: Reason.InvalidToken };
      issuer = decodeJwt(token).iss;
    } catch {
      return { ok: false, reason: Reason.InvalidToken };
    }
    const declared = policies.flatMap((policy) => policy.issuers.filter((i) => i.issuer === issuer).map((config) => ({ policy, config })));
    if (!issuer || declared.length === 0) return { ok: false, reason: Reason.UndeclaredIssuer };
    const verifiedBy = new Set<CompiledPolicy>();
    let verified: VerifiedToken | undefined;
    let expired = false;
    const outcomes = new Map<string, Record<string, unknown> | "expired" | "invalid">();
    for (const { policy, config } of declared) {
      const key = configKey(config);
      let outcome = outcomes.get(key);
      if (outcome === undefined) {
        const signature = await this.verifyWith(token, tokenDigest, key, config);
        outcome = typeof signature === "string" ? signature : signature.payload;
        if (typeof signature !== "string") signatures.push(signature);
        outcomes.set(key, outcome);
      }
      if (outcome === "expired") expired = true;
      else if (outcome !== "invalid") {
        verifiedBy.add(policy);
        verified ??= { issuer, subject: typeof outcome.sub === "string" ? outcome.sub : "", claims: outcome, verifiedBy };
      }
    }
    if (verified) return { ok: true, token: verified };
    return { ok: false, reason: expired ? Reason.ExpiredToken : Reason.InvalidToken };
  }

  private async verifyWith(token: string, tokenDigest: string, configKeyText: string, config: JwtIssuer): Promise<Remembered | "expired" | "invalid"> {
    // An issuer without audiences would accept tokens minted for any other service.
    if (!config.audiences || config.audiences.length === 0) return "invalid";
    const keySet = this.keySetOf(config);
    if (!keySet) return "invalid";
    const cacheKey = `${digest(configKeyText)}:${tokenDigest}`;
    const known = this.verified.get(cacheKey);
    if (known) {
      if (stillValid(known)) return known;
      this.verified.delete(cacheKey);
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keySet, {
        issuer: config.issuer,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds,
        audience: config.audiences,
        // A token without exp would be valid forever.
        requiredClaims: ["exp"],
      });
      const expiry = (payload.exp as number) * 1000;
      const remembered: Remembered = { payload: payload as Record<string, unknown>, until: Math.min(expiry, Date.now() + VERIFIED_TTL_MS), kid: protectedHeader.kid, keySet };
      this.verified.set(cacheKey, remembered, 512 + 2 * token.length);
      return remembered;
    } catch (err) {
      return err instanceof errors.JWTExpired ? "expired" : "invalid";
    }
  }

  /** One key set per JWKS source, kept across policy changes so its cache and cooldown hold. */
  private keySetOf(config: JwtIssuer): JWTVerifyGetKey | undefined {
    const key = config.jwksUri ? `uri:${digest(config.jwksUri)}` : `inline:${digest(config.jwks ?? "")}`;
    let keySet = this.keySets.get(key);
    if (keySet) return keySet;
    let bytes: number;
    try {
      if (config.jwksUri) {
        const guard = this.options.fetchGuard;
        // Refused URIs are refused before any connection (and again at the socket).
        if (!guard || guard.refusesUri(config.jwksUri)) return undefined;
        keySet = createRemoteJWKSet(new URL(config.jwksUri), {
          cooldownDuration: this.options.cooldownMs,
          cacheMaxAge: this.options.cacheMaxAgeMs,
          timeoutDuration: this.options.timeoutMs ?? 5_000,
          [customFetch]: guard.fetch,
        });
        bytes = REMOTE_KEY_SET_BYTES;
      } else if (config.jwks) {
        if (Buffer.byteLength(config.jwks) > MAX_INLINE_JWKS_BYTES) return undefined;
        keySet = createLocalJWKSet(JSON.parse(config.jwks) as Parameters<typeof createLocalJWKSet>[0]);
        bytes = 1024 + 4 * config.jwks.length;
      } else {
        return undefined;
      }
    } catch {
      return undefined;
    }
    this.keySets.set(key, keySet, bytes);
    return keySet;
  }
}

/** Not past its time, and its key still in the set the issuer publishes. */
function stillValid(signature: Remembered): boolean {
  if (Date.now() >= signature.until) return false;
  const published = signature.keySet.jwks?.()?.keys;
  return !published || published.some((k) => k.kid === signature.kid);
}

/** SHA-256, one-shot (no Hash object per call: this runs for every token a Check presents). */
function digest(text: string): string {
  return hash("sha256", text, "base64url");
}

function configKey(config: JwtIssuer): string {
  return JSON.stringify([config.issuer, config.jwksUri ?? "", config.jwks ?? "", [...(config.audiences ?? [])].sort()]);
}
