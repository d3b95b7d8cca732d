// Condition and Event reasons of AccessPolicy and the namespace baseline.
import { DataPlaneReason } from "../policy/reasons.js";
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
  /** An Allow with L7 attributes whose ambient target has no waypoint (the renderer refuses it: nothing admitted; policy/reasons.ts DataPlaneReason). */
  WaypointRequired: DataPlaneReason.WaypointRequired,
  /** An Allow whose ztunnel shards do not admit the waypoint yet: another policy's guard of the same Services is not written there (waypoint-handoff.ts). */
  WaypointHandoffPending: "WaypointHandoffPending",
  /** Condition type, present only when False: enforced otherwise than written on some data plane (render-ambient.ts notes). */
  EnforcedAsWritten: "EnforcedAsWritten",
  /** An Audit whose ambient target has no waypoint: ztunnel does not audit. */
  AuditNotRendered: "AuditNotRendered",
  BaselineApplied: "BaselineApplied",
  BaselineRemoved: "BaselineRemoved",
  BaselineDisabled: "BaselineDisabled",
} as const;
