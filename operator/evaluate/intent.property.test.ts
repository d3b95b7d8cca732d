// render -> evaluate == intent: for random identities, AccessPolicies and requests, what
// Istio would decide over the rendered objects must be what api.md says NEXUS means.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateRequest } from "./evaluate.js";
import { intendedVerdict, validatedIssuersAt, type IntentRequest, type Scenario } from "./testing/intent-oracle.js";
import { accessRequestOf, renderScenario } from "./testing/render-scenario.js";
import { requestsFor, scenarioArb } from "./testing/scenario-arbitraries.js";

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
      fc.property(scenarioArb.chain((scenario) => requestsFor(scenario).map((requests) => ({ scenario, requests }))), ({ scenario, requests }) => {
        const rendered = renderScenario(scenario);
        for (const generated of requests) {
          const request = withValidatedToken(scenario, generated);
          const intent = intendedVerdict(scenario, request);
          const verdict = evaluateRequest(rendered, accessRequestOf(request));
          expect(
            verdict.allowed,
            `intent: ${intent.allowed ? "allow" : "deny"} (${intent.because}); mesh: ${verdict.reason}\nrequest: ${JSON.stringify(request)}`,
          ).toBe(intent.allowed);
        }
      }),
      { numRuns: 200 },
    );
  });
});
