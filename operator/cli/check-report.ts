// The answer of `nexus check` as data (for -o json|yaml) and as text for people: the
// decision, the data plane that made it (each hop's decision for ambient), the deciding
// rendered policy and rule, the AccessPolicy rule and source it came from, what dry-run
// policies would change, what the data plane keeps from being enforced as written, and the
// evaluator's caveats.
import type { UnresolvedSource } from "../api/types.js";
import type { DataPlane } from "../dataplane/data-plane.js";
import type { AuthorizationPolicyObject, Decision as HopDecision, PolicyRuleRef } from "../evaluate/index.js";
import { DataPlaneReason } from "../policy/reasons.js";
import { POLICY_LABEL } from "../render/metadata.js";
import type { Target } from "./access-model.js";
import type { Caller } from "./caller.js";
import { decisionText, type AccessAnswer, type Decision, type Operation } from "./check-access.js";
import { describeProvenance, provenanceOf, type Provenance, type ProvenanceContext } from "./provenance.js";
import type { DataPlaneNote } from "./render-warnings.js";

export interface PolicyMatch {
  policy: string;
  action: string;
  rule: number;
  from: string;
  provenance: Provenance;
}

export interface HopReport {
  decision: "ALLOW" | "DENY";
  reason: string;
  /** namespace/name rules[i] of the deciding AuthorizationPolicy, when one decided. */
  policy?: string;
}

export interface DataPlaneReport {
  name: DataPlane;
  /** Why this data plane: the labels detection read, or who chose it. */
  because: string;
  /** Ambient: the waypoint the call goes through and the Service it routes to. */
  waypoint?: { gateway: string; principal: string; service: string };
  /** Ambient without a waypoint: what is missing (the call reaches ztunnel directly). */
  noWaypoint?: string;
  /** Ambient: the decision of each hop (the call passes when each allows it). */
  hops?: { waypoint?: HopReport; ztunnel: HopReport };
  /** What the operator reports of the target's AccessPolicies on this data plane (WaypointRequired, DenyWidened, ...). */
  notes: Array<{ policy: string } & DataPlaneNote>;
}

export interface CheckReport {
  from: string;
  to: string;
  request: Operation;
  decision: Decision;
  /**
   * True when the call is denied only because an AccessPolicy of the target is refused for want
   * of a waypoint (it admits nobody until one serves the target): the policies as written admit it.
   */
  waypointRequired: boolean;
  reason: string;
  dataPlane: DataPlaneReport;
  decidedBy?: PolicyMatch;
  gate?: { providers: string[]; ifAccepted: string };
  dryRun: { matches: PolicyMatch[]; ifEnforced?: { decision: Decision; reason: string; changes: boolean } };
  audit: PolicyMatch[];
  /** Sources left out of the AccessPolicies that protect the target (fail closed). */
  leftOut: string[];
  notes: string[];
  caveats: string[];
}

/** What the operator reports of each AccessPolicy, by namespace and name: the sources it leaves out, and what its data plane does not enforce as written. */
export interface PolicyAccounts {
  leftOut?: (namespace: string, policy: string) => readonly UnresolvedSource[];
  dataPlaneNotes?: (namespace: string, policy: string) => readonly DataPlaneNote[];
  /** The decision on the policies as written (the sidecar form); absent: taken to admit the call. */
  decisionAsWritten?: () => Decision;
}

export function buildReport(caller: Caller, target: Target, operation: Operation, answer: AccessAnswer, context: ProvenanceContext, accounts: PolicyAccounts = {}): CheckReport {
  const match = (ref: PolicyRuleRef): PolicyMatch => {
    const provenance = provenanceOf(ref, answer.request, context);
    return { policy: `${ref.namespace}/${ref.name}`, action: ref.action, rule: ref.ruleIndex, from: describeProvenance(provenance), provenance };
  };
  const { verdict } = answer;
  const decided = answer.ifGateAccepts ?? verdict;
  const ifEnforced = verdict.ifDryRunEnforced;
  const enforcedDecision: Decision | undefined = ifEnforced ? (ifEnforced.allowed ? "ALLOW" : "DENY") : undefined;
  const baseDecision: Decision = verdict.allowed ? "ALLOW" : "DENY";
  const policies = accessPoliciesOf(answer.enforced);
  const notes = policies.flatMap(({ namespace, name }) => (accounts.dataPlaneNotes?.(namespace, name) ?? []).map((note) => ({ policy: `${namespace}/${name}`, ...note })));
  const { plane } = answer;
  const hops = decided.hops;
  return {
    from: caller.label,
    to: `${target.namespace}/${target.name}`,
    request: operation,
    decision: answer.decision,
    waypointRequired: answer.decision === "DENY" && notes.some((note) => note.reason === DataPlaneReason.WaypointRequired) && (accounts.decisionAsWritten?.() ?? "ALLOW") !== "DENY",
    reason: decided.reason,
    dataPlane: {
      name: plane.dataPlane,
      because: plane.because,
      ...(plane.waypoint ? { waypoint: { gateway: plane.waypoint.gateway, principal: plane.waypoint.principal, service: plane.waypoint.service } } : {}),
      ...(plane.waypointProblem ? { noWaypoint: plane.waypointProblem } : {}),
      ...(hops ? { hops: { ...(hops.waypoint ? { waypoint: hopReport(hops.waypoint) } : {}), ztunnel: hopReport(hops.ztunnel) } } : {}),
      notes,
    },
    ...(decided.decidingPolicy && decided.decidingPolicy.ruleIndex >= 0 ? { decidedBy: match(decided.decidingPolicy) } : {}),
    ...(answer.ifGateAccepts ? { gate: { providers: answer.ifGateAccepts.delegations.map((d) => d.provider), ifAccepted: answer.ifGateAccepts.reason } } : {}),
    dryRun: {
      matches: verdict.dryRunMatches.map(match),
      ...(ifEnforced && enforcedDecision ? { ifEnforced: { decision: enforcedDecision, reason: ifEnforced.reason, changes: enforcedDecision !== baseDecision } } : {}),
    },
    audit: verdict.auditMatches.map(match),
    leftOut: policies.flatMap(({ namespace, name }) => (accounts.leftOut?.(namespace, name) ?? []).map((source) => `AccessPolicy ${namespace}/${name}: ${source.message}`)),
    notes: caller.notes,
    caveats: answer.caveats,
  };
}

export function reportText(report: CheckReport): string {
  const { request, dataPlane } = report;
  const lines = [
    `${decisionText(report.decision)}${report.waypointRequired ? ` (${DataPlaneReason.WaypointRequired})` : ""}: ${report.from} -> ${report.to} ${request.method} ${request.path} port ${request.port}`,
    `  why: ${report.reason}`,
    `  data plane: ${dataPlaneText(dataPlane)}`,
  ];
  const { hops } = dataPlane;
  if (hops) lines.push(`  hops: ${[...(hops.waypoint ? [["waypoint", hops.waypoint] as const] : []), ["ztunnel", hops.ztunnel] as const].map(([hop, h]) => `${hop} ${h.decision}${h.policy ? ` (${h.policy})` : ""}`).join(", ")}`);
  for (const note of dataPlane.notes) lines.push(`  ${note.reason}: AccessPolicy ${note.policy}: ${note.message}`);
  if (report.decidedBy) {
    lines.push(`  rendered: AuthorizationPolicy ${report.decidedBy.policy} (${report.decidedBy.action}) rules[${report.decidedBy.rule}]`);
    lines.push(`  source: ${report.decidedBy.from}`);
  }
  if (report.gate) lines.push(`  gate: ${report.gate.providers.join(", ")} decides; if it accepts the credential: ${report.gate.ifAccepted}`);
  for (const m of report.dryRun.matches) lines.push(`  dry-run: ${m.action} AuthorizationPolicy ${m.policy} rules[${m.rule}] matches (${m.from})`);
  const ifEnforced = report.dryRun.ifEnforced;
  if (ifEnforced) lines.push(`  if dry-run policies were enforced: ${ifEnforced.decision}${ifEnforced.changes ? " (changes the decision)" : " (no change)"}: ${ifEnforced.reason}`);
  for (const m of report.audit) lines.push(`  audit: AuthorizationPolicy ${m.policy} rules[${m.rule}] logs this request (${m.from})`);
  for (const line of report.leftOut) lines.push(`  left out: ${line}`);
  for (const note of report.notes) lines.push(`  assumed: ${note}`);
  for (const caveat of report.caveats) lines.push(`  caveat: ${caveat}`);
  return `${lines.join("\n")}\n`;
}

function dataPlaneText(plane: DataPlaneReport): string {
  const head = `${plane.name} (${plane.because})`;
  if (plane.waypoint) return `${head}, through waypoint ${plane.waypoint.gateway} (${plane.waypoint.principal}) to Service ${plane.waypoint.service}`;
  if (plane.noWaypoint) return `${head}, no waypoint: ${plane.noWaypoint}`;
  return head;
}

function hopReport(decision: HopDecision): HopReport {
  const ref = decision.decidingPolicy;
  return { decision: decision.allowed ? "ALLOW" : "DENY", reason: decision.reason, ...(ref && ref.ruleIndex >= 0 ? { policy: `${ref.namespace}/${ref.name} rules[${ref.ruleIndex}]` } : {}) };
}

/** The AccessPolicies the applicable rendered policies came from, each once, in order. */
function accessPoliciesOf(applicable: readonly AuthorizationPolicyObject[]): Array<{ namespace: string; name: string }> {
  const seen = new Set<string>();
  const found: Array<{ namespace: string; name: string }> = [];
  for (const policy of applicable) {
    const name = (policy.metadata as { labels?: Record<string, string> }).labels?.[POLICY_LABEL];
    if (name === undefined || seen.has(`${policy.metadata.namespace}/${name}`)) continue;
    seen.add(`${policy.metadata.namespace}/${name}`);
    found.push({ namespace: policy.metadata.namespace, name });
  }
  return found;
}
