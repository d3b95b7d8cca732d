// Which AccessPolicy rule and source a rendered Istio rule came from. Found with the
// operator's renderer itself rather than a second model of it: the policy is rendered
// again with only one of its rules (and then only one source of that rule), and the parts
// whose rendering still matches the request are the ones that decided. This stays true
// however the renderer shapes its output (merged principals, shards, extra policies).
import type { AccessPolicy, AccessSource } from "../api/types.js";
import type { RenderConfig } from "../config.js";
import type { AccessRequest, AuthorizationPolicyObject, PolicyRuleRef } from "../evaluate/index.js";
import { attributesOf } from "../evaluate/request.js";
import { ruleMatches } from "../evaluate/rule-match.js";
import { renderAccessPolicy, type IdentityLookup } from "../policy/index.js";
import { jwtName, waypointJwtName, ztunnelJwtName } from "../render/names.js";
import type { DataPlaneLookup } from "../dataplane/data-plane.js";
import { BASELINE_LABEL, POLICY_LABEL } from "../render/metadata.js";

export interface SourceOrigin {
  index: number;
  /** e.g. `tenant: acme` */
  source: string;
}

export interface RuleOrigin {
  /** Index in spec.rules. */
  rule: number;
  /** The sources of that rule that admit (or deny) this caller; empty for a rule without `from`. */
  sources: SourceOrigin[];
}

export interface Provenance {
  /** The rendered AuthorizationPolicy and its matching rule. */
  rendered: PolicyRuleRef;
  origin: "AccessPolicy" | "baseline" | "other";
  accessPolicy?: { namespace: string; name: string; file?: string };
  /** The AccessPolicy's rules that produce the match (usually one). */
  rules: RuleOrigin[];
  note?: string;
}

export interface ProvenanceContext {
  istioPolicies: readonly AuthorizationPolicyObject[];
  accessPolicies: readonly AccessPolicy[];
  lookup: IdentityLookup;
  config: RenderConfig;
  /** The data planes the policies were rendered for (default: sidecar everywhere), so a rule renders again as it did. */
  dataPlanes?: DataPlaneLookup;
  fileOf?: (policy: AccessPolicy) => string | undefined;
}

export function provenanceOf(ref: PolicyRuleRef, request: AccessRequest, context: ProvenanceContext): Provenance {
  const rendered = context.istioPolicies.find((p) => p.metadata.namespace === ref.namespace && p.metadata.name === ref.name);
  const labels = (rendered?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
  if (labels[BASELINE_LABEL] === "true") return { rendered: ref, origin: "baseline", rules: [], note: "the namespace's zero-trust baseline" };
  const policyName = labels[POLICY_LABEL];
  const policy = policyName === undefined ? undefined : context.accessPolicies.find((p) => p.metadata.namespace === ref.namespace && p.metadata.name === policyName);
  if (!policy) return { rendered: ref, origin: "other", rules: [], note: policyName === undefined ? "not rendered by NEXUS" : `AccessPolicy ${ref.namespace}/${policyName} is not among the sources read` };
  const file = context.fileOf?.(policy);
  const accessPolicy = { namespace: policy.metadata.namespace, name: policy.metadata.name, ...(file ? { file } : {}) };
  if ([jwtName, waypointJwtName, ztunnelJwtName].some((name) => ref.name === name(policy.metadata.name))) {
    return { rendered: ref, origin: "AccessPolicy", accessPolicy, rules: [], note: "spec.authentication.requireJWT: requests without a valid token are refused" };
  }
  const attributes = attributesOf(request);
  const matches = (variant: AccessPolicy) =>
    renderAccessPolicy(variant, context.lookup, context.config, context.dataPlanes).objects.some(
      (o) => o.kind === "AuthorizationPolicy" && (o.spec.action ?? "ALLOW") === ref.action && (o.spec.rules ?? []).some((rule) => ruleMatches(rule, attributes)),
    );
  const rules: RuleOrigin[] = [];
  (policy.spec.rules ?? []).forEach((rule, index) => {
    if (!matches(withRules(policy, [rule]))) return;
    const sources = (rule.from ?? []).flatMap((source, s) => (matches(withRules(policy, [{ ...rule, from: [source] }])) ? [{ index: s, source: describeSource(source) }] : []));
    rules.push({ rule: index, sources });
  });
  return { rendered: ref, origin: "AccessPolicy", accessPolicy, rules };
}

function withRules(policy: AccessPolicy, rules: NonNullable<AccessPolicy["spec"]["rules"]>): AccessPolicy {
  return { ...policy, spec: { ...policy.spec, rules } };
}

export function describeSource(source: AccessSource): string {
  const [kind, value] = Object.entries(source).find(([, v]) => v !== undefined) ?? ["?", undefined];
  if (typeof value === "string") return `${kind}: ${value}`;
  if (kind === "identity" && value && typeof value === "object") {
    const ref = value as { name: string; namespace?: string };
    return `identity: ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
  }
  return `${kind}: ${JSON.stringify(value)}`;
}

export function describeProvenance(p: Provenance): string {
  if (p.origin !== "AccessPolicy") return p.note ?? p.origin;
  const where = `AccessPolicy ${p.accessPolicy!.namespace}/${p.accessPolicy!.name}${p.accessPolicy!.file ? ` (${p.accessPolicy!.file})` : ""}`;
  if (p.note) return `${where}: ${p.note}`;
  if (p.rules.length === 0) return where;
  return `${where} ${p.rules
    .map((r) => `rules[${r.rule}]${r.sources.length ? ` from ${r.sources.map((s) => `[${s.index}] ${s.source}`).join(", ")}` : " (no from: every caller)"}`)
    .join("; ")}`;
}
