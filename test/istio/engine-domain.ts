// What the real RBAC engine (istiod's proxyless gRPC output enforced by grpc-go) can judge,
// and the evaluator's property-test worlds narrowed to it:
// - the method is always POST and paths are gRPC paths (/<service>/<method>);
// - no JWT: proxyless gRPC has no RequestAuthentication, so jwt sources and token
//   requirements are left out of the scenarios;
// - dry-run policies are not sent to the engine: istiod's gRPC generator ignores the
//   dry-run annotation and would enforce them (see engine-limits.test.ts);
// - a workload whose only ALLOW policies have no rules is out of reach: istiod's gRPC
//   generator emits no RBAC filter for them, so the engine allows what Envoy would deny
//   (see engine-limits.test.ts). Such cases are counted, not compared.
import fc from "fast-check";
import type { AccessPolicy, AccessRule } from "../../operator/api/types.js";
import { appliesTo, DEFAULT_ROOT_NAMESPACE } from "../../operator/evaluate/applicability.js";
import { actionOf, isDryRun, rulesOf, type AuthorizationPolicyObject } from "../../operator/evaluate/authorization-policy.js";
import type { AccessRequest } from "../../operator/evaluate/index.js";
import type { IntentRequest, Scenario } from "../../operator/evaluate/testing/intent-oracle.js";
import { requestDrawArb, requestFor, scenarioArb } from "../../operator/evaluate/testing/scenario-arbitraries.js";
import type { EngineCall } from "../support/istio-judge.js";

/** The ports of the scenario arbitraries; the engine's servers listen on stand-ins for them. */
export const ENGINE_PORTS = [8080, 9090];

/** gRPC paths that meet the scenarios' path patterns (/api/*, *.json, /health, *) in every combination the engine can send. */
export const ENGINE_PATHS = ["/api/items", "/api/items.json", "/admin/report.json", "/health/Check", "/nexus.Ledger/Get"];

function withoutTokens(policy: AccessPolicy): AccessPolicy {
  const { authentication: _tokens, ...spec } = policy.spec;
  const rules = (spec.rules ?? []).flatMap((rule): AccessRule[] => {
    if (!rule.from) return [rule];
    const from = rule.from.filter((source) => !source.jwt);
    // A rule whose only sources were tokens is dropped: without sources it would mean "anyone".
    return from.length ? [{ ...rule, from }] : [];
  });
  return { ...policy, spec: { ...spec, rules } };
}

export const engineScenarioArb: fc.Arbitrary<Scenario> = scenarioArb.map((scenario) => ({ ...scenario, policies: scenario.policies.map(withoutTokens) }));

export function engineRequestsArb(scenario: Scenario, count: number): fc.Arbitrary<IntentRequest[]> {
  return fc.array(
    fc.record({ draw: requestDrawArb, path: fc.constantFrom(...ENGINE_PATHS) }).map(({ draw, path }) => {
      const { token: _token, ...request } = requestFor(scenario, draw);
      return { ...request, operation: { method: "POST", path, port: request.operation.port } };
    }),
    { minLength: count, maxLength: count },
  );
}

export function evaluatorRequestOf(request: IntentRequest): AccessRequest {
  return { source: { principal: request.callerPrincipal }, workload: request.workload, operation: request.operation };
}

export function engineCallOf(request: IntentRequest): EngineCall {
  return { principal: request.callerPrincipal, workload: request.workload, path: request.operation.path, port: request.operation.port };
}

/** What the engine is given: the enforced AuthorizationPolicies (dry-run ones left out). */
export function enginePolicies(policies: readonly AuthorizationPolicyObject[]): AuthorizationPolicyObject[] {
  return policies.filter((p) => !isDryRun(p));
}

/** False where the engine is known to differ from Envoy: the workload's enforced ALLOW policies all lack rules. */
export function engineCanJudge(policies: readonly AuthorizationPolicyObject[], workload: IntentRequest["workload"]): boolean {
  const allows = policies.filter((p) => !isDryRun(p) && actionOf(p) === "ALLOW" && appliesTo(p, workload, DEFAULT_ROOT_NAMESPACE));
  return allows.length === 0 || allows.some((p) => rulesOf(p).length > 0);
}
