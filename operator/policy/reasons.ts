// Reasons a program can switch on, for sources left out of a policy and for a target
// that does not resolve. They end up in AccessPolicy status.unresolved and conditions.

export const SourceReason = {
  IdentityNotFound: "IdentityNotFound",
  TenantEmpty: "TenantEmpty",
  /** Identities claim the tenant in spec.tenant but their namespaces are not of it. */
  TenantNotVerified: "TenantNotVerified",
  CrossTenant: "CrossTenant",
  IssuerNotDeclared: "IssuerNotDeclared",
  InvalidPrincipal: "InvalidPrincipal",
  InvalidSource: "InvalidSource",
  ApiKeyNotDeclared: "ApiKeyNotDeclared",
  ApiKeyTenantEmpty: "ApiKeyTenantEmpty",
  GateOff: "GateOff",
} as const;

export const TargetReason = {
  TargetNotFound: "TargetNotFound",
  TargetHasNoWorkloadSelector: "TargetHasNoWorkloadSelector",
} as const;

/** Reasons that come from the data plane running the target (api.md "Data planes"). */
export const DataPlaneReason = {
  /**
   * An Allow with L7 attributes (methods, paths, JWT, claims, the credential gate, requireJWT)
   * for an ambient target that no waypoint serves: ztunnel would drop those rules, so the
   * policy admits nobody until a waypoint is set (a Refusal of renderAccessPolicy).
   */
  WaypointRequired: "WaypointRequired",
  /**
   * A Deny with L7 attributes for an ambient target that no waypoint serves, rendered at
   * ztunnel as a Deny of its sources on every operation (wider, never narrower).
   */
  DenyWidened: "DenyWidened",
} as const;
