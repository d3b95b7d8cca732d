// Condition and Event reasons of AccessPolicy and the namespace baseline.
export const PolicyReason = {
  Ready: "PolicyEnforced",
  Resolved: "AllSourcesResolved",
  SourcesUnresolved: "SourcesUnresolved",
  TargetNotFound: "TargetNotFound",
  Rendered: "Rendered",
  IstioMissing: "IstioNotInstalled",
  BaselineApplied: "BaselineApplied",
  BaselineRemoved: "BaselineRemoved",
  BaselineDisabled: "BaselineDisabled",
} as const;
