// A decision of the gate and the reasons it gives; the same values name the audit record's
// decision and reason and the labels of nexus_authz_decisions_total (a closed set).
import type { CompiledPolicy } from "./compiled-policy.js";

export type DecisionKind = "allow" | "unauthenticated" | "forbidden" | "rate-limited" | "unavailable";

export const STATUS_OF: Record<DecisionKind, number> = { allow: 200, unauthenticated: 401, forbidden: 403, "rate-limited": 429, unavailable: 503 };

export const Reason = {
  ApiKey: "api-key",
  Jwt: "jwt",
  MeshIdentity: "mesh-identity",
  NoCredential: "no-credential",
  MalformedKey: "malformed-key",
  UnknownKey: "unknown-key",
  ExpiredKey: "expired-key",
  KeyNotYetValid: "key-not-yet-valid",
  InvalidToken: "invalid-token",
  ExpiredToken: "expired-token",
  UndeclaredIssuer: "undeclared-issuer",
  NotAdmitted: "not-admitted",
  AmbiguousTarget: "ambiguous-target",
  /** The Check names no destination principal (plaintext, or a PERMISSIVE target): the target is unknown. */
  NoDestinationPrincipal: "no-destination-principal",
  /** The Check's sender could not be identified (no XFCC from the gate's sidecar, no client certificate). */
  UnknownCaller: "unknown-caller",
  /** The Check's sender is not the destination's own proxy, nor the waypoint that serves the Service at the Check's destination address. */
  CallerNotDestination: "caller-not-destination",
  PathTooLong: "path-too-long",
  TooManyFailures: "too-many-failures",
  NotSynced: "caches-not-synced",
  InternalError: "internal-error",
} as const;
export type ReasonValue = (typeof Reason)[keyof typeof Reason];

export interface CallerFacts {
  principal?: string;
  /** Who sent the Check (the destination's proxy), when it is not the destination itself. */
  checkSender?: string;
  address?: string;
  keyId?: string;
  issuer?: string;
  subject?: string;
}

export interface Decision {
  kind: DecisionKind;
  reason: ReasonValue;
  caller: CallerFacts;
  /** A waypoint's Check: the Service ("namespace/name") at its destination address, which the decision is about. */
  service?: string;
  /** The policy that admitted the caller (allow only). */
  policy?: CompiledPolicy;
  /** 401: the challenge for WWW-Authenticate. */
  challenge?: string;
  /** 429 and 503: seconds for Retry-After. */
  retryAfterSeconds?: number;
  /** allow: the value of x-nexus-caller and the credential headers to strip. */
  callerHeader?: string;
  removeHeaders?: string[];
}
