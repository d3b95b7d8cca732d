// The gate's decision for one request: rate limit, authenticate, authorize. Everything it
// needs arrives through its dependencies (index, token verifier, failure limiter, clock),
// so the whole flow runs in unit tests without a cluster, a network or a clock.
import { API_KEY_MAX_LENGTH, API_KEY_PREFIX, apiKeyDigest, parseApiKey } from "../credentials/api-key.js";
import { admit, type Caller, type VerifiedToken } from "./authorize.js";
import type { CompiledKey, CompiledPolicy } from "./compiled-policy.js";
import { presentedCredentials, type Presented } from "./credentials.js";
import { Reason, type CallerFacts, type Decision, type ReasonValue } from "./decision.js";
import type { GateIndex, GateTarget } from "./gate-index.js";
import type { GateRequest } from "./request.js";
import type { CallerIdentity } from "./caller-identity.js";
import { failureClientOf, failureKeyOf, type ClientPolicy } from "./failure-client.js";
import { mayAsk, NO_WAYPOINTS, type WaypointLookup } from "./who-may-ask.js";

export const CALLER_HEADER = "x-nexus-caller";

export type TokenCheck = { ok: true; token: VerifiedToken } | { ok: false; reason: typeof Reason.InvalidToken | typeof Reason.ExpiredToken | typeof Reason.UndeclaredIssuer };

export interface TokenVerifier {
  verify(token: string, policies: readonly CompiledPolicy[]): Promise<TokenCheck>;
}

export interface FailureLimiter {
  /** Counts one failure under the key; seconds the key stays blocked (this one included), or 0. */
  recordFailure(key: string): Promise<number>;
}

export interface GateOptions {
  index: GateIndex;
  tokens: TokenVerifier;
  limiter: FailureLimiter;
  ready: () => boolean;
  realm: string;
  /** Who a failed authentication is counted against (--trusted-gateway-principals, --trusted-gateway-hops). */
  clients: ClientPolicy;
  /** Longest path matched; longer ones are refused (--max-path-length). */
  maxPathLength: number;
  /** Waypoints that may ask about the Services they serve (ambient, waypoint-lookup.ts); none by default. */
  waypoints?: WaypointLookup;
  now?: () => number;
}

type KeyCheck = { ok: true; keys: CompiledKey[] } | { ok: false; reason: ReasonValue };

/**
 * A presented key against the index: one digest lookup, found by the whole digest, then
 * validity in time. Only a key that is not found is parsed (format, checksum), to tell a
 * malformed key from an unknown one in the audit record. The lookup's time may depend on
 * how much of a stored digest a presented key's digest shares: that tells nothing towards
 * a key text with a stored digest (SHA-256 has no known way back from a digest).
 */
export function authenticateKey(text: string, index: GateIndex, now: number): KeyCheck {
  if (text.length > API_KEY_MAX_LENGTH || !text.startsWith(API_KEY_PREFIX)) return { ok: false, reason: Reason.MalformedKey };
  // The key names its own id (nxk_<id>_...); a declared digest under another id is not it.
  const id = text.slice(API_KEY_PREFIX.length, text.indexOf("_", API_KEY_PREFIX.length));
  const known = index.keysWithDigest(apiKeyDigest(text)).filter((k) => k.id === id);
  if (known.length === 0) return { ok: false, reason: parseApiKey(text).ok ? Reason.UnknownKey : Reason.MalformedKey };
  const valid = known.filter((k) => (k.notBefore === undefined || now >= k.notBefore) && (k.notAfter === undefined || now < k.notAfter));
  if (valid.length > 0) return { ok: true, keys: valid };
  return { ok: false, reason: known.some((k) => k.notBefore !== undefined && now < k.notBefore) ? Reason.KeyNotYetValid : Reason.ExpiredKey };
}

/** Who sent the Check, as the shell learned it (see caller-identity.ts), and its transport address. */
export interface CheckSender {
  identity: CallerIdentity;
  /** The gRPC peer address, to count refusals of an unidentified sender. */
  peer?: string;
}

export class Gate {
  private readonly now: () => number;
  private readonly waypoints: WaypointLookup;

  constructor(private readonly options: GateOptions) {
    this.now = options.now ?? Date.now;
    this.waypoints = options.waypoints ?? NO_WAYPOINTS;
  }

  /**
   * The decision, at once where nothing needs waiting for (a key, a mesh identity, a refusal
   * on the request's face); a promise where a token is verified or a failure is counted. The
   * common answers so make no promise and wait for no microtask (check-server.ts answers a
   * decision as soon as it has one).
   */
  decide(request: GateRequest, sender: CheckSender): Decision | Promise<Decision> {
    const base: CallerFacts = {};
    if (request.sourcePrincipal) base.principal = request.sourcePrincipal;
    if (request.sourceAddress) base.address = request.sourceAddress;
    if (!this.options.ready()) return { kind: "unavailable", reason: Reason.NotSynced, caller: base, retryAfterSeconds: 1 };

    // Who asks, and about what. A waypoint's Check is about the Service its Envoy routes to
    // (the destination address), and only a waypoint that serves it may ask; any other
    // sender's Check is about its destination principal, and only that destination's own
    // proxy may ask. Never Host nor any other header.
    const senderId = sender.identity.ok ? sender.identity.spiffeId : undefined;
    const waypoint = senderId === undefined ? undefined : this.waypoints.ask(senderId, request.destinationAddress);
    let target: GateTarget;
    /** Whose failure budget a failed authentication spends (with the client's). */
    let destination: string;
    let service: string | undefined;
    if (waypoint && senderId !== undefined) {
      base.checkSender = senderId;
      if (!waypoint.served) return this.refuseSender(sender, base, Reason.CallerNotDestination, waypoint.service);
      target = waypoint.target;
      service = waypoint.service;
      destination = `service:${service}`;
    } else {
      if (!request.destinationPrincipal) return this.refuseSender(sender, base, Reason.NoDestinationPrincipal);
      destination = request.destinationPrincipal;
      const may = mayAsk(sender.identity, destination);
      if (!may.ok) return this.refuseSender(sender, base, may.reason === "unknown-caller" ? Reason.UnknownCaller : Reason.CallerNotDestination);
      target = this.options.index.targetOf(destination);
    }
    // Matched whole or not at all: a cut path could match a rule the whole path does not.
    if (request.path.length > this.options.maxPathLength) return withService({ kind: "forbidden", reason: Reason.PathTooLong, caller: base }, service);
    const decision = this.decideFor(request, target, destination, base);
    if (service === undefined) return decision;
    return decision instanceof Promise ? decision.then((answer) => withService(answer, service)) : withService(decision, service);
  }

  /** The decision on the request's merits, once the sender may ask about this target. */
  private decideFor(request: GateRequest, target: GateTarget, destination: string, base: CallerFacts): Decision | Promise<Decision> {
    const presented = presentedCredentials(request.headers, target.policies);
    const facts: CallerFacts = base;

    if (presented.keys.length === 0 && presented.tokens.length === 0) {
      const caller: Caller = request.sourcePrincipal ? { principal: request.sourcePrincipal, keys: [], tokens: [] } : { keys: [], tokens: [] };
      const admission = target.ambiguous ? undefined : admit(target.policies, caller, request);
      if (admission?.admitted) return this.allow(facts, admission.policy, Reason.MeshIdentity, request.sourcePrincipal!, presented);
      return { kind: "unauthenticated", reason: Reason.NoCredential, caller: facts, challenge: this.challenge(presented) };
    }

    // A valid credential is answered on its merits whatever the client's failure count:
    // the limiter only stops further failing attempts of a limited client.
    const keys: CompiledKey[] = [];
    for (const key of presented.keys) {
      const checked = authenticateKey(key.text, this.options.index, this.now());
      if (!checked.ok) return this.failed(request, destination, facts, checked.reason, presented);
      // A loop, not push(...keys): the spread goes through an iterator on every Check.
      for (const found of checked.keys) keys.push(found);
    }
    if (presented.tokens.length > 0) return this.verifyTokensThenDecide(request, target, destination, facts, presented, keys);
    return this.decideOnCredentials(request, target, facts, presented, keys, []);
  }

  private async verifyTokensThenDecide(request: GateRequest, target: GateTarget, destination: string, facts: CallerFacts, presented: Presented, keys: CompiledKey[]): Promise<Decision> {
    const tokens: VerifiedToken[] = [];
    for (const { token } of presented.tokens) {
      const checked = await this.options.tokens.verify(token, target.policies);
      if (!checked.ok) return this.failed(request, destination, facts, checked.reason, presented);
      tokens.push(checked.token);
    }
    return this.decideOnCredentials(request, target, facts, presented, keys, tokens);
  }

  /** The decision once every presented credential is known good. */
  private decideOnCredentials(request: GateRequest, target: GateTarget, facts: CallerFacts, presented: Presented, keys: CompiledKey[], tokens: VerifiedToken[]): Decision {
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

  /**
   * A Check the gate will not answer on its merits: 403, audited, counted against its
   * sender (never against the target it names), and 429 once that sender has spent its
   * budget. Its credentials are never looked at, so forged Checks learn nothing about keys.
   */
  private async refuseSender(sender: CheckSender, caller: CallerFacts, reason: ReasonValue, service?: string): Promise<Decision> {
    // An unidentified sender is counted by its address without the port: new connections are free.
    const who = sender.identity.ok ? `sender:${sender.identity.spiffeId}` : `sender-address:${(sender.peer ?? "unknown").replace(/:\d+$/, "")}`;
    if (sender.identity.ok) caller.checkSender = sender.identity.spiffeId;
    const blocked = await this.options.limiter.recordFailure(failureKeyOf(who, "check"));
    if (blocked > 0) return withService({ kind: "rate-limited", reason: Reason.TooManyFailures, caller, retryAfterSeconds: blocked }, service);
    return withService({ kind: "forbidden", reason, caller }, service);
  }

  private allow(caller: CallerFacts, policy: CompiledPolicy, reason: ReasonValue, callerHeader: string, presented: Presented): Decision {
    // Keys never reach the engine; tokens only where the issuer asks to forward them.
    const remove: string[] = [];
    for (const key of presented.keys) if (!remove.includes(key.header)) remove.push(key.header);
    for (const token of presented.tokens) if (!policy.forwardedTokenHeaders.has(token.header) && !remove.includes(token.header)) remove.push(token.header);
    return { kind: "allow", reason, caller, policy, callerHeader, removeHeaders: remove.sort() };
  }

  /** A failed authentication, counted per (client, target). */
  private async failed(request: GateRequest, destination: string, caller: CallerFacts, reason: ReasonValue, presented: Presented): Promise<Decision> {
    const client = failureClientOf(request, this.options.clients);
    const blocked = await this.options.limiter.recordFailure(failureKeyOf(client, destination));
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

/** Names, for the audit record, the Service a waypoint's Check was about. */
function withService(decision: Decision, service: string | undefined): Decision {
  if (service !== undefined) decision.service = service;
  return decision;
}
