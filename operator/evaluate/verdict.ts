// What the evaluator answers: the decision, the policy and rule that made it, and what
// else matched without deciding anything (dry-run and audit policies).
import type { AuthorizationAction } from "./authorization-policy.js";

export interface PolicyRef {
  namespace: string;
  name: string;
  action: AuthorizationAction;
}

/** A policy together with the first of its rules that matched the request. */
export interface PolicyRuleRef extends PolicyRef {
  ruleIndex: number;
}

/** A CUSTOM policy matched, so the decision was asked of its provider. */
export interface Delegation {
  provider: string;
  policy: PolicyRuleRef;
  allowed: boolean;
}

export interface Decision {
  allowed: boolean;
  /** Absent when no single policy decided: no ALLOW policy applies, or none of the applicable ones matched. */
  decidingPolicy?: PolicyRuleRef;
  /** A sentence a person understands. */
  reason: string;
  delegations: Delegation[];
}

export interface Verdict extends Decision {
  /** Dry-run policies whose rules matched; they never change the decision. */
  dryRunMatches: PolicyRuleRef[];
  /** AUDIT policies whose rules matched; they never change the decision. */
  auditMatches: PolicyRuleRef[];
  /** What the decision would be if the dry-run policies were enforced; present when any applies. */
  ifDryRunEnforced?: Decision;
  /** Policy fields the evaluator could not check (see caveats.ts). */
  caveats: string[];
  /** Which part of the data plane decided; set when the request names its data plane. */
  enforcedBy?: Enforcer;
  /** For ambient: the decision of each hop; the call passes when every hop allows it. */
  hops?: { waypoint?: Decision; ztunnel: Decision };
}

/** Which part of the data plane made the decision (set when the request names its data plane). */
export type Enforcer = "sidecar" | "grpc" | "ztunnel" | "waypoint";
