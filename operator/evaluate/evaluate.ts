// Answers "is this request allowed, and by which policy and rule?" from a set of Istio
// AuthorizationPolicies, following Istio's documented semantics. Pure and deterministic:
// the policies are taken in (namespace, name) order, whatever order they come in, so the
// same inputs always give the same verdict and explanation.
//
// Not modelled (reported in `caveats` when a policy uses them, and treated as absent):
// ipBlocks / notIpBlocks / remoteIpBlocks / notRemoteIpBlocks, hosts / notHosts, and
// conditions on keys other than request.auth.{principal,audiences,presenter,claims[..]},
// source.{principal,namespace}, destination.port and request.headers[..]. Also not
// modelled: targetRef(s) (waypoints, gateways), TCP-only traffic, and path templates
// ({*}, {**}), which are compared as plain strings.
import { actionOf, isDryRun, rulesOf, type AuthorizationPolicyObject } from "./authorization-policy.js";
import { appliesTo, DEFAULT_ROOT_NAMESPACE } from "./applicability.js";
import { caveatsOf } from "./caveats.js";
import { decide, denyCustom, type CustomDecision, type EvaluatedPolicy } from "./decide.js";
import { attributesOf, type AccessRequest, type RequestAttributes } from "./request.js";
import { ruleMatches } from "./rule-match.js";
import type { PolicyRuleRef, Verdict } from "./verdict.js";

export interface EvaluationOptions {
  /** Istio's root namespace, whose policies apply mesh-wide. Default istio-system. */
  rootNamespace?: string;
  /** The answer of a CUSTOM provider (ext_authz). Default: deny. */
  customDecision?: CustomDecision;
}

export function evaluateRequest(
  policies: readonly AuthorizationPolicyObject[],
  request: AccessRequest,
  options: EvaluationOptions = {},
): Verdict {
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const customDecision = options.customDecision ?? denyCustom;
  const attributes = attributesOf(request);
  const applicable = policies.filter((p) => appliesTo(p, request.workload, rootNamespace)).sort(byNamespaceThenName);
  const evaluated = applicable.map((policy) => ({ policy, dryRun: isDryRun(policy), result: evaluatePolicy(policy, attributes) }));

  const enforced = evaluated.filter((e) => !e.dryRun).map((e) => e.result);
  const dryRun = evaluated.filter((e) => e.dryRun).map((e) => e.result);
  const decision = decide(enforced, customDecision);
  return {
    ...decision,
    dryRunMatches: matchesOf(dryRun),
    auditMatches: matchesOf(enforced.filter((p) => p.ref.action === "AUDIT")),
    ...(dryRun.length > 0 ? { ifDryRunEnforced: decide([...enforced, ...dryRun].sort(byRef), customDecision) } : {}),
    caveats: applicable.flatMap(caveatsOf),
  };
}

function evaluatePolicy(policy: AuthorizationPolicyObject, request: RequestAttributes): EvaluatedPolicy {
  const rules = rulesOf(policy);
  const index = rules.findIndex((rule) => ruleMatches(rule, request));
  return {
    ref: { namespace: policy.metadata.namespace, name: policy.metadata.name, action: actionOf(policy) },
    provider: policy.spec?.provider?.name ?? "",
    ruleCount: rules.length,
    matchedRule: index < 0 ? undefined : index,
  };
}

function matchesOf(policies: readonly EvaluatedPolicy[]): PolicyRuleRef[] {
  return policies.flatMap((p) => (p.matchedRule === undefined ? [] : [{ ...p.ref, ruleIndex: p.matchedRule }]));
}

function byNamespaceThenName(a: AuthorizationPolicyObject, b: AuthorizationPolicyObject): number {
  return compare(a.metadata.namespace, b.metadata.namespace) || compare(a.metadata.name, b.metadata.name);
}

function byRef(a: EvaluatedPolicy, b: EvaluatedPolicy): number {
  return compare(a.ref.namespace, b.ref.namespace) || compare(a.ref.name, b.ref.name);
}

// Code-unit order, not locale order, so the result is the same on every machine.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
