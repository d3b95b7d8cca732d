// Sharding must not change what the mesh decides: for random worlds and requests, the
// rendering cut into many small AuthorizationPolicies gets the same verdict as the one
// rendered whole, because Istio ORs the rules of every policy of one action.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultRenderConfig } from "../config.js";
import { evaluateRequest } from "./evaluate.js";
import { accessRequestOf, renderScenario } from "./testing/render-scenario.js";
import { requestDrawArb, requestFor, scenarioArb } from "./testing/scenario-arbitraries.js";

/** Just above the metadata allowance: room for one or two short rules per shard. */
const TINY_BUDGET = 8 * 1024 + 400;

describe("sharded renderings decide as the whole rendering does", () => {
  it("gives the same verdict, for every request, with one object per policy and with many shards", () => {
    let sharded = 0;
    fc.assert(
      fc.property(scenarioArb, fc.array(requestDrawArb, { minLength: 1, maxLength: 12 }), (scenario, draws) => {
        const whole = renderScenario(scenario, defaultRenderConfig);
        const shards = renderScenario(scenario, { ...defaultRenderConfig, shardBudgetBytes: TINY_BUDGET });
        if (shards.length > whole.length) sharded++;
        for (const draw of draws) {
          const request = accessRequestOf(requestFor(scenario, draw));
          const one = evaluateRequest(whole, request);
          const many = evaluateRequest(shards, request);
          expect(many.allowed, `whole: ${one.reason}; sharded: ${many.reason}\nrequest: ${JSON.stringify(request)}`).toBe(one.allowed);
        }
      }),
      { numRuns: 300 },
    );
    // The property says nothing unless the small budget really cut policies apart.
    expect(sharded).toBeGreaterThan(30);
  });
});
