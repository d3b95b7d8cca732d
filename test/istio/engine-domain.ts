// What the real RBAC engine (istiod's proxyless gRPC output enforced by grpc-go) can judge,
// and the evaluator's property-test worlds narrowed to it:
// - the method is always POST and paths are gRPC paths (/<service>/<method>);
// - no JWT: proxyless gRPC has no RequestAuthentication, so jwt sources and token
//   requirements are left out of the scenarios (and calls carry no token);
// - dry-run policies are not sent to the engine: istiod's gRPC generator ignores the
//   dry-run annotation and would enforce them (see engine-limits.test.ts);
// - the namespace baseline is the product's own (renderNamespaceBaseline): one ALLOW rule no
//   caller meets, which istiod's gRPC generator keeps (an ALLOW policy without rules it would
//   drop, see engine-limits.test.ts).
import fc from "fast-check";
import type { AccessPolicy, AccessRule } from "../../operator/api/types.js";
import { isDryRun, type AuthorizationPolicyObject } from "../../operator/evaluate/authorization-policy.js";
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

/** A call the engine can make: POST, a gRPC path, no token, and some request metadata (headers). */
export interface EngineRequest extends Omit<IntentRequest, "token" | "operation"> {
  operation: { method: "POST"; path: string; port: number; headers: Record<string, string> };
}

const headersArb = fc.dictionary(fc.constantFrom("x-request-id", "x-tenant", "x-nexus-caller"), fc.constantFrom("1", "t1", "api"), { maxKeys: 2 });

export function engineRequestsArb(scenario: Scenario, count: number): fc.Arbitrary<EngineRequest[]> {
  return fc.array(
    fc.record({ draw: requestDrawArb, path: fc.constantFrom(...ENGINE_PATHS), headers: headersArb }).map(({ draw, path, headers }) => {
      const { token: _token, ...request } = requestFor(scenario, draw);
      return { ...request, operation: { method: "POST" as const, path, port: request.operation.port, headers } };
    }),
    { minLength: count, maxLength: count },
  );
}

export function evaluatorRequestOf(request: EngineRequest): AccessRequest {
  return { source: { principal: request.callerPrincipal }, workload: request.workload, operation: request.operation };
}

export function engineCallOf(request: EngineRequest): EngineCall {
  const { operation } = request;
  return { principal: request.callerPrincipal, workload: request.workload, path: operation.path, port: operation.port, headers: operation.headers };
}

/** What the engine is given: the enforced AuthorizationPolicies (dry-run ones left out), as rendered. */
export function enginePolicies(policies: readonly AuthorizationPolicyObject[]): AuthorizationPolicyObject[] {
  return policies.filter((p) => !isDryRun(p));
}
