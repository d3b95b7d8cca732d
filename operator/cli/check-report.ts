// The answer of `nexus check` as data (for -o json|yaml) and as text for people: the
// decision, the deciding rendered policy and rule, the AccessPolicy rule and source it
// came from, what dry-run policies would change, and the evaluator's caveats.
import type { UnresolvedSource } from "../api/types.js";
import type { AuthorizationPolicyObject, PolicyRuleRef } from "../evaluate/index.js";
import { POLICY_LABEL } from "../render/metadata.js";
import type { Target } from "./access-model.js";
import type { Caller } from "./caller.js";
import { decisionText, type AccessAnswer, type Decision, type Operation } from "./check-access.js";
import { describeProvenance, provenanceOf, type Provenance, type ProvenanceContext } from "./provenance.js";

export interface PolicyMatch {
  policy: string;
  action: string;
  rule: number;
  from: string;
  provenance: Provenance;
}

export interface CheckReport {
  from: string;
  to: string;
  request: Operation;
  decision: Decision;
  reason: string;
  decidedBy?: PolicyMatch;
  gate?: { providers: string[]; ifAccepted: string };
  dryRun: { matches: PolicyMatch[]; ifEnforced?: { decision: Decision; reason: string; changes: boolean } };
  audit: PolicyMatch[];
  /** Sources left out of the AccessPolicies that protect the target (fail closed). */
  leftOut: string[];
  notes: string[];
  caveats: string[];
}

export function buildReport(
  caller: Caller,
  target: Target,
  operation: Operation,
  answer: AccessAnswer,
  context: ProvenanceContext,
  leftOutOf: (namespace: string, policy: string) => readonly UnresolvedSource[] = () => [],
  applicable: readonly AuthorizationPolicyObject[] = [],
): CheckReport {
  const match = (ref: PolicyRuleRef): PolicyMatch => {
    const provenance = provenanceOf(ref, answer.request, context);
    return { policy: `${ref.namespace}/${ref.name}`, action: ref.action, rule: ref.ruleIndex, from: describeProvenance(provenance), provenance };
  };
  const { verdict } = answer;
  const decided = answer.ifGateAccepts ?? verdict;
  const ifEnforced = verdict.ifDryRunEnforced;
  const enforcedDecision: Decision | undefined = ifEnforced ? (ifEnforced.allowed ? "ALLOW" : "DENY") : undefined;
  const baseDecision: Decision = verdict.allowed ? "ALLOW" : "DENY";
  return {
    from: caller.label,
    to: `${target.namespace}/${target.name}`,
    request: operation,
    decision: answer.decision,
    reason: decided.reason,
    ...(decided.decidingPolicy && decided.decidingPolicy.ruleIndex >= 0 ? { decidedBy: match(decided.decidingPolicy) } : {}),
    ...(answer.ifGateAccepts ? { gate: { providers: answer.ifGateAccepts.delegations.map((d) => d.provider), ifAccepted: answer.ifGateAccepts.reason } } : {}),
    dryRun: {
      matches: verdict.dryRunMatches.map(match),
      ...(ifEnforced && enforcedDecision ? { ifEnforced: { decision: enforcedDecision, reason: ifEnforced.reason, changes: enforcedDecision !== baseDecision } } : {}),
    },
    audit: verdict.auditMatches.map(match),
    leftOut: leftOutLines(applicable, leftOutOf),
    notes: caller.notes,
    caveats: answer.caveats,
  };
}

export function reportText(report: CheckReport): string {
  const { request } = report;
  const lines = [`${decisionText(report.decision)}: ${report.from} -> ${report.to} ${request.method} ${request.path} port ${request.port}`, `  why: ${report.reason}`];
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

function leftOutLines(applicable: readonly AuthorizationPolicyObject[], leftOutOf: (namespace: string, policy: string) => readonly UnresolvedSource[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const policy of applicable) {
    const name = (policy.metadata as { labels?: Record<string, string> }).labels?.[POLICY_LABEL];
    if (name === undefined || seen.has(`${policy.metadata.namespace}/${name}`)) continue;
    seen.add(`${policy.metadata.namespace}/${name}`);
    for (const source of leftOutOf(policy.metadata.namespace, name)) lines.push(`AccessPolicy ${policy.metadata.namespace}/${name}: ${source.message}`);
  }
  return lines;
}
