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
