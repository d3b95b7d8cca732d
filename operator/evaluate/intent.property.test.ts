// render -> evaluate == intent: for random identities, AccessPolicies and requests, what
// Istio would decide over the rendered objects must be what api.md says NEXUS means.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessPolicy, AccessPolicySpec } from "../api/types.js";
import { evaluateRequest } from "./evaluate.js";
import { intendedVerdict, validatedIssuersAt, type IntentRequest, type Scenario, type ScenarioIdentity } from "./testing/intent-oracle.js";
import { accessRequestOf, renderScenario } from "./testing/render-scenario.js";
import { requestDrawArb, requestFor, scenarioArb, TRUST_DOMAIN } from "./testing/scenario-arbitraries.js";

// A token the workload does not validate is refused (or ignored) before authorization, so
// only tokens of issuers some RequestAuthentication at the workload declares are sent.
function withValidatedToken(scenario: Scenario, request: IntentRequest): IntentRequest {
  if (!request.token || validatedIssuersAt(scenario, request.workload).has(request.token.issuer)) return request;
  const { token: _dropped, ...withoutToken } = request;
  return withoutToken;
}

function expectMeshToDoWhatIsMeant(scenario: Scenario, requests: IntentRequest[]): void {
  const rendered = renderScenario(scenario);
  for (const generated of requests) {
    const request = withValidatedToken(scenario, generated);
    const intent = intendedVerdict(scenario, request);
    const verdict = evaluateRequest(rendered, accessRequestOf(request));
    const direction = verdict.allowed ? "WIDER than intent" : "narrower than intent";
    expect(verdict.allowed, `mesh is ${direction}. intent: ${intent.because}; mesh: ${verdict.reason}\nrequest: ${JSON.stringify(request)}`).toBe(
      intent.allowed,
    );
  }
}

describe("rendered policies, as Istio evaluates them, do what the AccessPolicies mean", () => {
  it("the verdict for every request equals the intent of api.md", () => {
    fc.assert(
      fc.property(scenarioArb, fc.array(requestDrawArb, { minLength: 1, maxLength: 12 }), (scenario, draws) => {
        expectMeshToDoWhatIsMeant(scenario, draws.map((draw) => requestFor(scenario, draw)));
      }),
      { numRuns: 200 },
    );
  });
});

// Counterexamples the property found, minimised by hand, kept so they are checked on every
// run rather than when the random search happens to meet them again.
describe("counterexamples found by the property", () => {
  const identity = (namespace: string, name: string, extra: Partial<ScenarioIdentity> = {}): ScenarioIdentity => ({
    namespace,
    name,
    serviceAccount: name,
    workloadSelector: { app: name },
    ...extra,
  });
  const policy = (namespace: string, name: string, spec: AccessPolicySpec): AccessPolicy => ({
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "AccessPolicy",
    metadata: { name, namespace, generation: 1 },
    spec,
  });
  const GET = { method: "GET", path: "/api/items", port: 8080 };

  it("a tenant source does not admit another tenant's engine that shares a member's service account", () => {
    const scenario: Scenario = {
      trustDomain: TRUST_DOMAIN,
      identities: [
        identity("ns-a", "api", { tenant: "t1" }),
        identity("ns-a", "web", { tenant: "t1", serviceAccount: "shared" }),
        identity("ns-a", "db", { tenant: "t2", serviceAccount: "shared" }),
      ],
      policies: [policy("ns-a", "p1", { targetIdentity: "api", rules: [{ from: [{ tenant: "t1" }] }] })],
    };
    // The caller is db of tenant t2: the mesh cannot tell it from web, so t1 must not be admitted by that principal.
    expectMeshToDoWhatIsMeant(scenario, [
      { callerPrincipal: `${TRUST_DOMAIN}/ns/ns-a/sa/shared`, workload: { namespace: "ns-a", labels: { app: "api" } }, operation: GET },
    ]);
  });

  it("a Deny of a token issuer holds when another policy of the workload is the one declaring the issuer", () => {
    const idp = "https://idp-1.example";
    const scenario: Scenario = {
      trustDomain: TRUST_DOMAIN,
      identities: [identity("ns-a", "api")],
      policies: [
        policy("ns-a", "p1", { targetIdentity: "api", rules: [{ from: [{ namespace: "ns-a" }] }], authentication: { jwt: [{ issuer: idp, jwksUri: `${idp}/jwks` }] } }),
        policy("ns-a", "p2", { targetIdentity: "api", action: "Deny", rules: [{ from: [{ jwt: { issuer: idp } }] }] }),
      ],
    };
    expectMeshToDoWhatIsMeant(scenario, [
      {
        callerPrincipal: `${TRUST_DOMAIN}/ns/ns-a/sa/api`,
        token: { issuer: idp, subject: "alice", audiences: [], claims: {} },
        workload: { namespace: "ns-a", labels: { app: "api" } },
        operation: GET,
      },
    ]);
  });
});
