// The gate's decision for one request: rate limit, authenticate, authorize. Everything it
// needs arrives through its dependencies (index, token verifier, failure limiter, clock),
// so the whole flow runs in unit tests without a cluster, a network or a clock.
import { timingSafeEqual } from "node:crypto";
import { API_KEY_MAX_LENGTH, API_KEY_PREFIX, apiKeySha256, parseApiKey } from "../credentials/api-key.js";
import { admit, type Caller, type VerifiedToken } from "./authorize.js";
import type { CompiledKey, CompiledPolicy } from "./compiled-policy.js";
import { presentedCredentials, type Presented } from "./credentials.js";
import { Reason, type CallerFacts, type Decision, type ReasonValue } from "./decision.js";
import type { GateIndex } from "./gate-index.js";
import type { GateRequest } from "./request.js";

export const CALLER_HEADER = "x-nexus-caller";

export type TokenCheck = { ok: true; token: VerifiedToken } | { ok: false; reason: typeof Reason.InvalidToken | typeof Reason.ExpiredToken | typeof Reason.UndeclaredIssuer };

export interface TokenVerifier {
  verify(token: string, policies: readonly CompiledPolicy[]): Promise<TokenCheck>;
}

export interface FailureLimiter {
  /** Seconds until the source may try again, or 0 when it is not blocked. */
  blockedFor(source: string): Promise<number>;
  /** Counts one failed authentication; seconds of the block it caused, or 0. */
  recordFailure(source: string): Promise<number>;
}

export interface GateOptions {
  index: GateIndex;
  tokens: TokenVerifier;
  limiter: FailureLimiter;
  ready: () => boolean;
  realm: string;
  now?: () => number;
}

type KeyCheck = { ok: true; keys: CompiledKey[] } | { ok: false; reason: ReasonValue };

/**
 * A presented key against the index: one digest lookup, confirmed on the fixed-length
 * digest in constant time, then validity in time. Only a key that is not found is parsed
 * (format, checksum), to tell a malformed key from an unknown one in the audit record.
 */
export function authenticateKey(text: string, index: GateIndex, now: number): KeyCheck {
  if (text.length > API_KEY_MAX_LENGTH || !text.startsWith(API_KEY_PREFIX)) return { ok: false, reason: Reason.MalformedKey };
  const sha256 = apiKeySha256(text);
  // The key names its own id (nxk_<id>_...); a declared digest under another id is not it.
  const id = text.slice(API_KEY_PREFIX.length, text.indexOf("_", API_KEY_PREFIX.length));
  let known = index.keysWithDigest(sha256).filter((k) => k.id === id);
  if (known.length > 0) {
    const digest = Buffer.from(sha256, "hex");
    known = known.filter((k) => timingSafeEqual(k.digest, digest));
  }
  if (known.length === 0) return { ok: false, reason: parseApiKey(text).ok ? Reason.UnknownKey : Reason.MalformedKey };
  const valid = known.filter((k) => (k.notBefore === undefined || now >= k.notBefore) && (k.notAfter === undefined || now < k.notAfter));
  if (valid.length > 0) return { ok: true, keys: valid };
  return { ok: false, reason: known.some((k) => k.notBefore !== undefined && now < k.notBefore) ? Reason.KeyNotYetValid : Reason.ExpiredKey };
}

export class Gate {
  private readonly now: () => number;

  constructor(private readonly options: GateOptions) {
    this.now = options.now ?? Date.now;
  }

  async decide(request: GateRequest): Promise<Decision> {
    const base: CallerFacts = {};
    if (request.sourcePrincipal) base.principal = request.sourcePrincipal;
    if (request.sourceAddress) base.address = request.sourceAddress;
    if (!this.options.ready()) return { kind: "unavailable", reason: Reason.NotSynced, caller: base, retryAfterSeconds: 1 };
    const source = request.sourcePrincipal ?? request.sourceAddress ?? "unknown";
    const blocked = await this.options.limiter.blockedFor(source);
    if (blocked > 0) return { kind: "rate-limited", reason: Reason.TooManyFailures, caller: base, retryAfterSeconds: blocked };

    const target = this.options.index.targetOf(request.destinationPrincipal, request.host);
    const presented = presentedCredentials(request.headers, target.policies);
    const caller: Caller = request.sourcePrincipal ? { principal: request.sourcePrincipal, keys: [], tokens: [] } : { keys: [], tokens: [] };
    const facts: CallerFacts = base;

    if (presented.keys.length === 0 && presented.tokens.length === 0) {
      const admission = target.ambiguous ? undefined : admit(target.policies, caller, request);
      if (admission?.admitted) return this.allow(facts, admission.policy, Reason.MeshIdentity, request.sourcePrincipal!, presented);
      return { kind: "unauthenticated", reason: Reason.NoCredential, caller: facts, challenge: this.challenge(presented) };
    }

    const keys: CompiledKey[] = [];
    for (const key of presented.keys) {
      const checked = authenticateKey(key.text, this.options.index, this.now());
      if (!checked.ok) return this.failed(source, facts, checked.reason, presented);
      keys.push(...checked.keys);
    }
    const tokens: VerifiedToken[] = [];
    for (const { token } of presented.tokens) {
      const checked = await this.options.tokens.verify(token, target.policies);
      if (!checked.ok) return this.failed(source, facts, checked.reason, presented);
      tokens.push(checked.token);
    }
    if (keys[0]) facts.keyId = keys[0].id;
    if (tokens[0]) {
      facts.issuer = tokens[0].issuer;
      facts.subject = tokens[0].subject;
    }
    if (target.ambiguous) return { kind: "forbidden", reason: Reason.AmbiguousTarget, caller: facts };
    const admission = admit(target.policies, request.sourcePrincipal ? { principal: request.sourcePrincipal, keys, tokens } : { keys, tokens }, request);
    if (!admission.admitted) return { kind: "forbidden", reason: Reason.NotAdmitted, caller: facts };
    const by = admission.by;
    if (by.kind === "key") {
      facts.keyId = by.key.id;
      return this.allow(facts, admission.policy, Reason.ApiKey, by.key.id, presented);
    }
    if (by.kind === "token") {
      facts.issuer = by.token.issuer;
      facts.subject = by.token.subject;
      return this.allow(facts, admission.policy, Reason.Jwt, `${by.token.issuer}/${by.token.subject}`, presented);
    }
    return this.allow(facts, admission.policy, Reason.MeshIdentity, by.principal, presented);
  }

  private allow(caller: CallerFacts, policy: CompiledPolicy, reason: ReasonValue, callerHeader: string, presented: Presented): Decision {
    // Keys never reach the engine; tokens only where the issuer asks to forward them.
    const remove: string[] = [];
    for (const key of presented.keys) if (!remove.includes(key.header)) remove.push(key.header);
    for (const token of presented.tokens) if (!policy.forwardedTokenHeaders.has(token.header) && !remove.includes(token.header)) remove.push(token.header);
    return { kind: "allow", reason, caller, policy, callerHeader, removeHeaders: remove.sort() };
  }

  private async failed(source: string, caller: CallerFacts, reason: ReasonValue, presented: Presented): Promise<Decision> {
    const blocked = await this.options.limiter.recordFailure(source);
    if (blocked > 0) return { kind: "rate-limited", reason: Reason.TooManyFailures, caller, retryAfterSeconds: blocked };
    return { kind: "unauthenticated", reason, caller, challenge: this.challenge(presented, reason) };
  }

  /** RFC 9110 challenges for the schemes the target accepts; RFC 6750's error for a bad token. */
  private challenge(presented: Presented, reason?: ReasonValue): string {
    const realm = `realm="${this.options.realm}"`;
    const challenges: string[] = [];
    if (presented.acceptsKeys || !presented.acceptsTokens) challenges.push(`ApiKey ${realm}`);
    if (presented.acceptsTokens) {
      const tokenProblem = reason === Reason.InvalidToken || reason === Reason.ExpiredToken || reason === Reason.UndeclaredIssuer;
      challenges.push(tokenProblem ? `Bearer ${realm}, error="invalid_token"` : `Bearer ${realm}`);
    }
    return challenges.join(", ");
  }
}
