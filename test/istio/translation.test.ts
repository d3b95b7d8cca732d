// Istio translates everything the renderer writes without loss: for every workload of the
// examples, of 300 random scenarios and of the benchmark's workload (50 engines), istiod's builder
// (the code that makes a sidecar's inbound RBAC filters) emits exactly one Envoy policy per
// rendered rule, none of them turned into "never matches" unless the policy has no rules.
import { describe, expect, it } from "vitest";
import type { AuthorizationPolicyObject } from "../../operator/evaluate/authorization-policy.js";
import { useIstioJudge } from "./judge-hooks.js";
import {
  expectedPolicyNames,
  generatedPolicies,
  isMatchNever,
  namesOf,
  RBAC_HTTP_FILTER,
  RBAC_TCP_FILTER,
} from "./envoy-rbac.js";
import { benchWorld, examplesWorld, scenarioWorlds, type RenderedWorld } from "./rendered-corpus.js";

const judge = useIstioJudge();

interface Tally {
  workloads: number;
  envoyPolicies: number;
}

async function expectLosslessTranslation(worlds: RenderedWorld[]): Promise<Tally> {
  const tally: Tally = { workloads: 0, envoyPolicies: 0 };
  for (const world of worlds) {
    const policies = world.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[];
    const ruleCount = new Map(policies.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.spec?.rules?.length ?? 0]));
    for (const workload of world.workloads) {
      const translation = await judge.translate(world.objects, { workload, trustDomain: world.trustDomain });
      const where = `${world.name}, workload ${workload.namespace} ${JSON.stringify(workload.labels)}`;
      for (const [chain, filterName] of [
        ["http", RBAC_HTTP_FILTER],
        ["tcp", RBAC_TCP_FILTER],
      ] as const) {
        const generated = generatedPolicies(chain === "http" ? translation.http : translation.tcp, filterName);
        expect(namesOf(generated), `${where}: ${chain} chain`).toEqual(expectedPolicyNames(policies, workload, chain));
        for (const set of generated.values()) {
          for (const [name, policy] of set) {
            const [, namespace, policyName] = /^ns\[(.*)\]-policy\[(.*)\]-rule\[\d+\]$/.exec(name) ?? [];
            const hasRules = (ruleCount.get(`${namespace}/${policyName}`) ?? 0) > 0;
            expect(isMatchNever(policy), `${where}: ${chain} ${name} never matches`).toBe(!hasRules);
            tally.envoyPolicies++;
          }
        }
      }
      tally.workloads++;
    }
  }
  return tally;
}

describe("istiod's translation of what the renderer writes into Envoy RBAC", () => {
  it("gives one Envoy policy per rendered rule for every workload of examples/", async () => {
    const tally = await expectLosslessTranslation([await examplesWorld()]);
    expect(tally.workloads).toBeGreaterThan(3);
    expect(tally.envoyPolicies).toBeGreaterThan(5);
  });

  it("gives one Envoy policy per rendered rule for every workload of 300 random scenarios", async () => {
    const tally = await expectLosslessTranslation(scenarioWorlds(300));
    expect(tally.workloads).toBeGreaterThan(600);
    expect(tally.envoyPolicies).toBeGreaterThan(1000);
  });

  it("gives one Envoy policy per rendered rule for every workload of the benchmark's workload", async () => {
    // 50 engines: every workload is translated with the whole world, so the cost grows with the square.
    const tally = await expectLosslessTranslation([benchWorld(50)]);
    expect(tally.workloads).toBeGreaterThan(50);
  });

  it("puts each rendered principal into the Envoy policy of its rule, as a SPIFFE URI", async () => {
    const world = await examplesWorld();
    const policies = world.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[];
    let checked = 0;
    for (const workload of world.workloads) {
      const translation = await judge.translate(world.objects, { workload });
      const generated = generatedPolicies(translation.http, RBAC_HTTP_FILTER);
      const all = new Map([...generated.values()].flatMap((set) => [...set]));
      for (const policy of policies) {
        (policy.spec?.rules ?? []).forEach((rule, index) => {
          const envoy = all.get(`ns[${policy.metadata.namespace}]-policy[${policy.metadata.name}]-rule[${index}]`);
          if (!envoy) return;
          const text = JSON.stringify(envoy);
          for (const principal of (rule.from ?? []).flatMap((f) => f.source?.principals ?? [])) {
            expect(text, `${policy.metadata.name} rule ${index}`).toContain(JSON.stringify(`spiffe://${principal}`));
            checked++;
          }
        });
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
