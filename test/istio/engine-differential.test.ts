// The evaluator agrees with a real RBAC engine: for random NEXUS worlds (the evaluator's
// property-test scenarios, narrowed to what the engine enforces) rendered by the renderer,
// and random calls with random principals, namespaces, paths, ports and headers, the evaluator's
// verdict equals grpc-go's enforcement of istiod's proxyless gRPC output over real mTLS,
// on at least 10,000 calls. The scenarios are drawn from a fixed seed, so a run is
// repeatable; a disagreement prints the world and the call.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RuleSpec } from "../../operator/evaluate/authorization-policy.js";
import { evaluateRequest } from "../../operator/evaluate/index.js";
import { renderScenario } from "../../operator/evaluate/testing/render-scenario.js";
import { useIstioJudge } from "./judge-hooks.js";
import {
  ENGINE_PORTS,
  engineCallOf,
  enginePolicies,
  engineRequestsArb,
  engineScenarioArb,
  evaluatorRequestOf,
} from "./engine-domain.js";

const WANTED_CALLS = Number(process.env.NEXUS_ENGINE_CALLS ?? 10_000);
const CALLS_PER_WORLD = 16;
const SEED = 20261201;

const judge = useIstioJudge();

describe("the evaluator against grpc-go enforcing istiod's output over mTLS", () => {
  it(`agrees on ${WANTED_CALLS.toLocaleString("en-US")} random calls`, async () => {
    const worlds = fc.sample(
      engineScenarioArb.chain((scenario) => engineRequestsArb(scenario, CALLS_PER_WORLD).map((requests) => ({ scenario, requests }))),
      { numRuns: Math.ceil(WANTED_CALLS / CALLS_PER_WORLD), seed: SEED },
    );
    let compared = 0;
    let allowed = 0;
    let disagreed = 0;
    const disagreements: string[] = [];
    for (const { scenario, requests } of worlds) {
      const rendered = renderScenario(scenario);
      const verdicts = await judge.enforce(enginePolicies(rendered), requests.map(engineCallOf), ENGINE_PORTS);
      requests.forEach((request, i) => {
        const engine = verdicts[i]!;
        const evaluator = evaluateRequest(rendered, evaluatorRequestOf(request));
        compared++;
        if (engine.allowed) allowed++;
        if (engine.allowed === evaluator.allowed) return;
        disagreed++;
        if (disagreements.length < 5) {
          disagreements.push(
            `evaluator ${evaluator.allowed ? "ALLOW" : "DENY"} (${evaluator.reason}), engine ${engine.code} ${engine.message}\n` +
              `call: ${JSON.stringify(request)}\nscenario: ${JSON.stringify(scenario)}`,
          );
        }
      });
    }
    console.log(
      `[engine differential] ${compared} calls compared (${allowed} allowed by the engine), ${disagreed} disagreements`,
    );
    expect(disagreements, `${disagreed} disagreements, the first ones:`).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(WANTED_CALLS);
    // Both verdicts are well represented, so agreement is not agreement on "deny everything".
    expect(allowed).toBeGreaterThan(compared / 10);
    expect(compared - allowed).toBeGreaterThan(compared / 10);
  }, 60 * 60_000);

  // The comparison has power: an evaluator blind to one field of the rules would be caught.
  it("would catch an evaluator that ignores ports, paths or namespace sources", async () => {
    type Policy = ReturnType<typeof renderScenario>[number];
    const blindTo = (change: (rule: RuleSpec) => RuleSpec) => (p: Policy): Policy => ({ ...p, spec: { ...p.spec, rules: p.spec?.rules?.map(change) } });
    const withoutOperationField = (field: "ports" | "paths") => (rule: RuleSpec): RuleSpec => ({
      ...rule,
      ...(rule.to ? { to: rule.to.map(({ operation }) => ({ operation: { ...operation, [field]: undefined } })) } : {}),
    });
    const blind: Record<string, (p: Policy) => Policy> = {
      ports: blindTo(withoutOperationField("ports")),
      paths: blindTo(withoutOperationField("paths")),
      namespaces: blindTo((rule) => ({ ...rule, ...(rule.from ? { from: rule.from.filter(({ source }) => !source?.namespaces) } : {}) })),
    };
    const caught: Record<string, number> = { ports: 0, paths: 0, namespaces: 0 };
    const worlds = fc.sample(
      engineScenarioArb.chain((scenario) => engineRequestsArb(scenario, CALLS_PER_WORLD).map((requests) => ({ scenario, requests }))),
      { numRuns: 40, seed: SEED + 1 },
    );
    for (const { scenario, requests } of worlds) {
      const rendered = renderScenario(scenario);
      const verdicts = await judge.enforce(enginePolicies(rendered), requests.map(engineCallOf), ENGINE_PORTS);
      requests.forEach((request, i) => {
        for (const [field, change] of Object.entries(blind)) {
          if (evaluateRequest(rendered.map(change), evaluatorRequestOf(request)).allowed !== verdicts[i]!.allowed) caught[field]!++;
        }
      });
    }
    expect(caught.ports).toBeGreaterThan(0);
    expect(caught.paths).toBeGreaterThan(0);
    expect(caught.namespaces).toBeGreaterThan(0);
  }, 10 * 60_000);
});
