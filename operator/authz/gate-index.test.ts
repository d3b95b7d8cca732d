// An identity change recompiles only the gated policies it may affect (finding 10 of the
// 2026-12 review: every change recompiled every policy on the gate's event loop). The time
// of both ways is printed at 2,000 and 5,000 policies; the test asserts the count.
import { describe, expect, it } from "vitest";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { GateIndex } from "./gate-index.js";

const sha = (i: number) => i.toString(16).padStart(64, "0");

function identity(ns: string, name: string, tenant?: string): EngineIdentity {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace: ns }, spec: { workloadSelector: { matchLabels: { app: name } }, ...(tenant ? { tenant } : {}) } };
}

function gatedPolicy(ns: string, i: number): AccessPolicy {
  return {
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "AccessPolicy",
    metadata: { name: `p${i}`, namespace: ns },
    spec: {
      targetIdentity: `engine-${i}`,
      authentication: { apiKeys: { keys: Array.from({ length: 4 }, (_, k) => ({ id: `k${k}`, sha256: sha(i * 8 + k) })) } },
      rules: [
        { from: [{ apiKey: { id: "k0" } }, { apiKey: { id: "k1" } }], to: [{ methods: ["GET"], paths: ["/v1/*"] }] },
        { from: [{ identity: { name: `engine-${(i + 1) % 50}` } }], to: [{ paths: ["/mesh/*"] }] },
      ],
    },
  };
}

function build(policies: number): { index: GateIndex; namespaces: number } {
  const index = new GateIndex("cluster.local");
  const perNamespace = 50;
  const namespaces = Math.ceil(policies / perNamespace);
  for (let n = 0; n < namespaces; n++) {
    for (let i = 0; i < perNamespace; i++) index.setIdentity(identity(`ns-${n}`, `engine-${i}`));
    for (let i = 0; i < perNamespace && n * perNamespace + i < policies; i++) index.setPolicy(gatedPolicy(`ns-${n}`, i));
  }
  index.recompileAll();
  return { index, namespaces };
}

function millis(run: () => void, times = 3): number {
  const samples: number[] = [];
  for (let t = 0; t < times; t++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

describe("the gate's index after an identity change", () => {
  for (const policies of [2_000, 5_000]) {
    it(`recompiles only the policies that name the identity (${policies} gated policies)`, () => {
      const { index } = build(policies);
      // engine-7 of ns-3 is the target of p7 and a source of p6; the policies of its namespace
      // that name identities there depend on it too (tenant isolation looks at identities
      // sharing a source's service account), those of the other namespaces do not.
      let tenant = 0;
      const change = () => index.setIdentity(identity("ns-3", "engine-7", `t${++tenant}`));
      change();
      const recompiled = index.recompilePending();
      expect(recompiled).toBeGreaterThanOrEqual(2);
      expect(recompiled).toBeLessThanOrEqual(50);
      const before = millis(() => {
        change();
        index.recompileAll();
      });
      const after = millis(() => {
        change();
        index.recompilePending();
      });
      console.log(`identity change at ${policies} gated policies: recompile all ${before.toFixed(2)} ms (before), affected only ${after.toFixed(3)} ms (after)`);
      expect(after).toBeLessThan(before);
      expect(index.size.policies).toBe(policies);
    }, 60_000);
  }
});
