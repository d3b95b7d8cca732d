// One AccessPolicy, the same meaning on every data plane (api.md "Data planes"): for random
// worlds, what Istio's ambient data plane (ztunnel + waypoint) decides over the ambient
// rendering is what the sidecar decides over the sidecar rendering: exactly, for calls
// through a waypoint that serves the target; never more for calls that reach ztunnel
// directly; and where there is no waypoint, narrower only for the policies whose result says
// so (WaypointRequired, or a Deny widened at ztunnel).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultRenderConfig } from "../config.js";
import type { Waypoint } from "../dataplane/data-plane.js";
import { staticLookup, type StaticService, type StaticWorld } from "../dataplane/testing/static-lookup.js";
import { GATE_PROVIDER_NAME } from "../policy/credential-gate.js";
import { identityLookupOf, renderAccessPolicy } from "../policy/index.js";
import { DataPlaneReason } from "../policy/reasons.js";
import { selectorMatches } from "./applicability.js";
import { evaluateRequest } from "./evaluate.js";
import type { AccessRequest } from "./request.js";
import type { Scenario } from "./testing/intent-oracle.js";
import { accessRequestOf, renderScenario } from "./testing/render-scenario.js";
import { gatedScenarioArb, requestDrawArb, requestFor, scenarioArb, TRUST_DOMAIN, type RequestDraw } from "./testing/scenario-arbitraries.js";

const NAMESPACES = ["ns-a", "ns-b", "ns-c", "ns-free"];
const LABEL_SETS: Record<string, string>[] = [{ app: "api" }, { app: "web" }, { app: "db" }, { app: "common" }, { app: "common", tier: "back" }];

function serviceName(labels: Record<string, string>): string {
  return `svc-${Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}-${v}`).join("-")}`;
}

/** One Service per workload label set in every namespace: the Service a call to a workload goes through selects exactly its labels. */
const SERVICES: StaticService[] = NAMESPACES.flatMap((namespace) => LABEL_SETS.map((selector) => ({ namespace, name: serviceName(selector), selector })));

function waypointOf(namespace: string): Waypoint {
  return { namespace, name: "waypoint", principal: `${TRUST_DOMAIN}/ns/${namespace}/sa/waypoint` };
}

const withWaypoints: StaticWorld = { forms: ["ambient"], services: SERVICES, waypoints: Object.fromEntries(NAMESPACES.map((ns) => [ns, waypointOf(ns)])) };
const withoutWaypoints: StaticWorld = { forms: ["ambient"], services: SERVICES, waypoints: {} };

const gateSays = (yes: boolean) => ({ customDecision: (provider: string) => yes && provider === GATE_PROVIDER_NAME });

function viaWaypoint(request: AccessRequest): AccessRequest | undefined {
  const labels = request.workload.labels;
  const service = SERVICES.find((s) => s.namespace === request.workload.namespace && JSON.stringify(s.selector) === JSON.stringify(labels) && Object.keys(labels).length > 0);
  if (!service) return undefined;
  return { ...request, dataPlane: "ambient", waypoint: { principal: waypointOf(request.workload.namespace).principal, service: service.name } };
}

/** Policies that apply to the workload whose ambient rendering says it is narrower than written. */
function narrowedPoliciesAt(scenario: Scenario, request: AccessRequest): string[] {
  const identities = identityLookupOf(scenario.identities);
  const config = { ...defaultRenderConfig, trustDomain: scenario.trustDomain };
  return scenario.policies.flatMap((policy) => {
    if (policy.metadata.namespace !== request.workload.namespace) return [];
    const result = renderAccessPolicy(policy, identities, config, staticLookup(withoutWaypoints));
    const target = policy.spec.targetIdentity ? identities.get(policy.metadata.namespace, policy.spec.targetIdentity)?.workloadSelector : {};
    if (!target || !selectorMatches(target, request.workload.labels)) return [];
    const narrowed = result.refused?.reason === DataPlaneReason.WaypointRequired || result.ambient?.denyWidened !== undefined;
    return narrowed ? [policy.metadata.name] : [];
  });
}

function checkWorld(scenario: Scenario, draws: RequestDraw[]): { via: number; narrowed: number } {
  const sidecar = renderScenario(scenario);
  const ambient = renderScenario(scenario, defaultRenderConfig, staticLookup(withWaypoints));
  const ambientNoWaypoint = renderScenario(scenario, defaultRenderConfig, staticLookup(withoutWaypoints));
  let via = 0;
  let narrowed = 0;
  for (const draw of draws) {
    const request = accessRequestOf(requestFor(scenario, draw));
    for (const gate of [false, true]) {
      const expected = evaluateRequest(sidecar, request, gateSays(gate));
      const throughWaypoint = viaWaypoint(request);
      if (throughWaypoint) {
        via++;
        const verdict = evaluateRequest(ambient, throughWaypoint, gateSays(gate));
        expect(verdict.allowed, `through the waypoint, ambient says ${verdict.reason}; sidecar says ${expected.reason}\n${JSON.stringify(throughWaypoint)}`).toBe(expected.allowed);
      }
      const direct = evaluateRequest(ambient, { ...request, dataPlane: "ambient" }, gateSays(gate));
      if (direct.allowed) expect(expected.allowed, `skipping the waypoint is WIDER than sidecar: ${direct.reason}\n${JSON.stringify(request)}`).toBe(true);
      const noWaypoint = evaluateRequest(ambientNoWaypoint, { ...request, dataPlane: "ambient" }, gateSays(gate));
      if (noWaypoint.allowed) expect(expected.allowed, `without a waypoint ambient is WIDER than sidecar: ${noWaypoint.reason}\n${JSON.stringify(request)}`).toBe(true);
      if (expected.allowed && !noWaypoint.allowed) {
        narrowed++;
        expect(narrowedPoliciesAt(scenario, request), `without a waypoint ambient denies what sidecar allows, and no policy of the workload says so: ${noWaypoint.reason}\n${JSON.stringify(request)}`).not.toEqual([]);
      }
    }
  }
  return { via, narrowed };
}

describe("the ambient rendering means what the sidecar rendering means", () => {
  it("through a waypoint it admits exactly what sidecars admit; skipping it or without one, never more, and narrower only where the result says so", () => {
    let via = 0;
    let narrowed = 0;
    fc.assert(
      fc.property(scenarioArb, fc.array(requestDrawArb, { minLength: 1, maxLength: 12 }), (scenario, draws) => {
        const seen = checkWorld(scenario, draws);
        via += seen.via;
        narrowed += seen.narrowed;
      }),
      { numRuns: 150 },
    );
    // Both paths must have been taken, or the property proved nothing about them.
    expect(via).toBeGreaterThan(0);
    expect(narrowed).toBeGreaterThan(0);
  }, 120_000);

  it("the same holds with the credential gate, whether it says yes or no", () => {
    fc.assert(
      fc.property(gatedScenarioArb, fc.array(requestDrawArb, { minLength: 1, maxLength: 12 }), (scenario, draws) => {
        checkWorld(scenario, draws);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});
