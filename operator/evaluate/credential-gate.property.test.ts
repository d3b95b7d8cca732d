// The credential gate as Istio runs it over every rendering: when nexus-authz says no, no
// gated operation is reachable for any caller, and nothing is reachable beyond what the
// mesh alone would allow without any credential source.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessPolicy } from "../api/types.js";
import { GATE_PROVIDER_NAME, gateOn } from "../policy/credential-gate.js";
import { evaluateRequest } from "./evaluate.js";
import type { Scenario } from "./testing/intent-oracle.js";
import { accessRequestOf, renderScenario } from "./testing/render-scenario.js";
import { gatedScenarioArb, requestDrawArb, requestFor } from "./testing/scenario-arbitraries.js";

const gateSaysNo = { customDecision: () => false };
const gateSaysYes = { customDecision: (provider: string) => provider === GATE_PROVIDER_NAME };

/** The scenario without the gate: gated policies lose their credential sources and keys. */
function meshOnly(scenario: Scenario): Scenario {
  const strip = (policy: AccessPolicy): AccessPolicy => {
    if (!gateOn(policy)) return policy;
    const rules = (policy.spec.rules ?? []).map((rule) => ({ ...rule, from: (rule.from ?? []).filter((s) => s.apiKey === undefined && s.jwt === undefined) }));
    const { apiKeys: _keys, gate: _gate, ...authentication } = policy.spec.authentication ?? {};
    return { ...policy, spec: { ...policy.spec, rules, authentication } };
  };
  return { ...scenario, policies: scenario.policies.map(strip) };
}

describe("the credential gate decides every gated operation", () => {
  it("when the gate says no, a gated operation is denied for every caller, and nothing is allowed beyond mesh-only access", () => {
    let gatedSeen = 0;
    fc.assert(
      fc.property(gatedScenarioArb, fc.array(requestDrawArb, { minLength: 1, maxLength: 12 }), (scenario, draws) => {
        const rendered = renderScenario(scenario);
        const withoutGate = renderScenario(meshOnly(scenario));
        for (const draw of draws) {
          const request = accessRequestOf(requestFor(scenario, draw));
          const no = evaluateRequest(rendered, request, gateSaysNo);
          const yes = evaluateRequest(rendered, request, gateSaysYes);
          const gated = yes.delegations.some((d) => d.provider === GATE_PROVIDER_NAME);
          if (gated) {
            gatedSeen++;
            expect(no.allowed, `gated request allowed although the gate said no: ${no.reason}\n${JSON.stringify(request)}`).toBe(false);
          }
          // A rule without `from` is only ever rendered for the gate: it must never decide without it.
          const decidingRule = yes.decidingPolicy;
          if (yes.allowed && decidingRule && decidingRule.action === "ALLOW") {
            const policy = rendered.find((p) => p.metadata.namespace === decidingRule.namespace && p.metadata.name === decidingRule.name);
            const rule = policy?.spec?.rules?.[decidingRule.ruleIndex];
            if (rule && !rule.from) expect(gated, `an ALLOW rule without from decided without the gate: ${yes.reason}`).toBe(true);
          }
          if (no.allowed) {
            const mesh = evaluateRequest(withoutGate, request, gateSaysNo);
            expect(mesh.allowed, `allowed with the gate saying no but not by the mesh alone: ${no.reason}\n${JSON.stringify(request)}`).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
    // The property must have met gated requests, or it proved nothing.
    expect(gatedSeen).toBeGreaterThan(0);
  });
});
