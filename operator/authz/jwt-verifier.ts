// Token verification with jose against the issuers the target's policies declare: a remote
// JWKS (jwksUri, cached, and fetched again for an unknown kid at most once per cooldown) or
// an inline one. Only asymmetric algorithms are accepted, so "alg: none" and HMAC tokens
// signed with a public key are refused.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { JwtIssuer } from "../api/types.js";
import type { VerifiedToken } from "./authorize.js";
import type { CompiledPolicy } from "./compiled-policy.js";
import { Reason } from "./decision.js";
import type { TokenCheck, TokenVerifier } from "./gate.js";

const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
/** Larger than any token a real issuer sends; a bigger one is refused before parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface JwtVerifierOptions {
  /** Least time between two fetches of one JWKS (jose's cooldown). */
  cooldownMs: number;
  /** Time a fetched JWKS is trusted before it is fetched again. */
  cacheMaxAgeMs: number;
  /** Clock skew allowed on exp and nbf, as Envoy's jwt_authn allows 60 s by default. */
  clockToleranceSeconds: number;
  timeoutMs?: number;
}

export class JoseTokenVerifier implements TokenVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly options: JwtVerifierOptions) {}

  async verify(token: string, policies: readonly CompiledPolicy[]): Promise<TokenCheck> {
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: Reason.InvalidToken };
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
        outcome = await this.verifyWith(token, config);
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

  private async verifyWith(token: string, config: JwtIssuer): Promise<Record<string, unknown> | "expired" | "invalid"> {
    const keySet = this.keySetOf(config);
    if (!keySet) return "invalid";
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: config.issuer,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds,
        // Absent audiences: the mesh's default is not checked here either (Istio leaves aud
        // unchecked when a RequestAuthentication names none).
        ...(config.audiences && config.audiences.length > 0 ? { audience: config.audiences } : {}),
      });
      return payload as Record<string, unknown>;
    } catch (err) {
      return err instanceof errors.JWTExpired ? "expired" : "invalid";
    }
  }

  /** One key set per JWKS source, kept across policy changes so its cache and cooldown hold. */
  private keySetOf(config: JwtIssuer): JWTVerifyGetKey | undefined {
    const key = config.jwksUri ? `uri:${config.jwksUri}` : `inline:${config.jwks ?? ""}`;
    let keySet = this.keySets.get(key);
    if (keySet) return keySet;
    try {
      if (config.jwksUri) {
        keySet = createRemoteJWKSet(new URL(config.jwksUri), {
          cooldownDuration: this.options.cooldownMs,
          cacheMaxAge: this.options.cacheMaxAgeMs,
          timeoutDuration: this.options.timeoutMs ?? 5_000,
        });
      } else if (config.jwks) {
        keySet = createLocalJWKSet(JSON.parse(config.jwks) as Parameters<typeof createLocalJWKSet>[0]);
      } else {
        return undefined;
      }
    } catch {
      return undefined;
    }
    this.keySets.set(key, keySet);
    return keySet;
  }
}

function configKey(config: JwtIssuer): string {
  return JSON.stringify([config.issuer, config.jwksUri ?? "", config.jwks ?? "", [...(config.audiences ?? [])].sort()]);
}
