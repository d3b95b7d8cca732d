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
  /** An Allow with L7 attributes whose ambient target has no waypoint (the renderer refuses it: nothing admitted). */
  WaypointRequired: "WaypointRequired",
  /** Condition type: the policy is enforced, but wider than written on some data plane (see the renderer's widened). */
  EnforcedAsWritten: "EnforcedAsWritten",
  BaselineApplied: "BaselineApplied",
  BaselineRemoved: "BaselineRemoved",
  BaselineDisabled: "BaselineDisabled",
} as const;
