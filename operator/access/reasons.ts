// Condition and Event reasons of AccessPolicy and the namespace baseline.
export const PolicyReason = {
  Ready: "PolicyEnforced",
  Resolved: "AllSourcesResolved",
  SourcesUnresolved: "SourcesUnresolved",
  TargetNotFound: "TargetNotFound",
  Rendered: "Rendered",
  IstioMissing: "IstioNotInstalled",
  /** A rendered object's name is used by another policy's object (see nameTaken). */
  NameTaken: "NameTaken",
  /** A Deny or Audit policy of which nothing is rendered. */
  NothingEnforced: "NothingEnforced",
  BaselineApplied: "BaselineApplied",
  BaselineRemoved: "BaselineRemoved",
  BaselineDisabled: "BaselineDisabled",
} as const;
