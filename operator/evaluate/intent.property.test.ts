// render -> evaluate == intent: for random identities, AccessPolicies and requests, what
// Istio would decide over the rendered objects must be what api.md says NEXUS means.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateRequest } from "./evaluate.js";
import { intendedVerdict, validatedIssuersAt, type IntentRequest, type Scenario } from "./testing/intent-oracle.js";
import { accessRequestOf, renderScenario } from "./testing/render-scenario.js";
import { requestDrawArb, requestFor, scenarioArb } from "./testing/scenario-arbitraries.js";

// A token the workload does not validate is refused (or ignored) before authorization, so
// only tokens of issuers some RequestAuthentication at the workload declares are sent.
function withValidatedToken(scenario: Scenario, request: IntentRequest): IntentRequest {
  if (!request.token || validatedIssuersAt(scenario, request.workload).has(request.token.issuer)) return request;
  const { token: _dropped, ...withoutToken } = request;
  return withoutToken;
}

describe("rendered policies, as Istio evaluates them, do what the AccessPolicies mean", () => {
  it("the verdict for every request equals the intent of api.md", () => {
    fc.assert(
      fc.property(scenarioArb, fc.array(requestDrawArb, { minLength: 1, maxLength: 8 }), (scenario, draws) => {
        const rendered = renderScenario(scenario);
        for (const draw of draws) {
          const request = withValidatedToken(scenario, requestFor(scenario, draw));
          const intent = intendedVerdict(scenario, request);
          const verdict = evaluateRequest(rendered, accessRequestOf(request));
          const direction = verdict.allowed ? "WIDER than intent" : "narrower than intent";
          expect(
            verdict.allowed,
            `mesh is ${direction}. intent: ${intent.because}; mesh: ${verdict.reason}\nrequest: ${JSON.stringify(request)}`,
          ).toBe(intent.allowed);
        }
      }),
      { numRuns: 200 },
    );
  });
});
