// Everything the renderer writes for the worlds the tests know: the examples, random
// scenarios of the evaluator's property test, and the benchmark's workload. Each world is
// its rendered Istio objects (every AccessPolicy's, plus the baseline of every namespace
// with a NEXUS object) and the workloads in it, as the operator would leave them.
import path from "node:path";
import fc from "fast-check";
import type { AccessPolicy, EngineIdentity } from "../../operator/api/types.js";
import { factsOf } from "../../operator/access/identity-index.js";
import { defaultRenderConfig, tenantLabelOf } from "../../operator/config.js";
import { tenantOfNamespace, verifiedFacts } from "../../operator/policy/tenancy.js";
import type { Scenario } from "../../operator/evaluate/testing/intent-oracle.js";
import { scenarioArb } from "../../operator/evaluate/testing/scenario-arbitraries.js";
import { identityLookupOf, renderAccessPolicy, renderNamespaceBaseline, type IdentityFacts, type RenderedObject } from "../../operator/policy/index.js";
import { buildWorkload } from "../../bench/workload.js";
import { repoRoot } from "../controlplane/binaries.js";
import { findYamlFiles, readYamlFiles } from "../controlplane/crds.js";
import type { JudgeWorkload } from "../support/istio-judge.js";

export interface RenderedWorld {
  name: string;
  trustDomain: string;
  objects: RenderedObject[];
  /** Every workload the world's identities select, and a bare pod of each namespace. */
  workloads: JudgeWorkload[];
}

export function renderWorld(name: string, trustDomain: string, identities: IdentityFacts[], policies: AccessPolicy[], namespaceTenants: ReadonlyMap<string, string> = new Map()): RenderedWorld {
  const lookup = identityLookupOf(identities, namespaceTenants);
  const config = { ...defaultRenderConfig, trustDomain };
  const rendered = policies.flatMap((policy) => renderAccessPolicy(policy, lookup, config).objects);
  const namespaces = [...new Set([...identities.map((i) => i.namespace), ...policies.map((p) => p.metadata.namespace)])].sort();
  const baselines = namespaces.flatMap((namespace) => renderNamespaceBaseline(namespace));
  const workloads = new Map<string, JudgeWorkload>();
  for (const w of [
    ...identities.map((i) => ({ namespace: i.namespace, labels: { ...(i.workloadSelector ?? {}) } })),
    ...namespaces.map((namespace) => ({ namespace, labels: {} })),
  ]) {
    workloads.set(`${w.namespace}/${JSON.stringify(Object.entries(w.labels).sort())}`, w);
  }
  return { name, trustDomain, objects: [...rendered, ...baselines], workloads: [...workloads.values()] };
}

/**
 * examples/ in the sidecar form everywhere, the warehouse included (its ambient form, bound to a
 * waypoint by targetRefs, is not what a sidecar's Envoy is built from; istiod-ambient.test.ts
 * covers that form).
 */
export async function examplesWorld(): Promise<RenderedWorld> {
  const documents = await readYamlFiles(await findYamlFiles(path.join(repoRoot, "examples")));
  const identities = documents.filter((d) => d.kind === "EngineIdentity") as unknown as EngineIdentity[];
  const policies = documents.filter((d) => d.kind === "AccessPolicy") as unknown as AccessPolicy[];
  // Tenancy comes from the Namespace objects' tenant labels, as the operator reads it.
  const namespaceTenants = new Map<string, string>();
  for (const ns of documents.filter((d) => d.kind === "Namespace")) {
    const tenant = tenantOfNamespace((ns.metadata as { labels?: Record<string, string> }).labels, tenantLabelOf(defaultRenderConfig));
    if (tenant !== undefined) namespaceTenants.set((ns.metadata as { name: string }).name, tenant);
  }
  const facts = identities.map((identity) => verifiedFacts(factsOf(identity), namespaceTenants.get(identity.metadata.namespace)));
  return renderWorld("examples/", defaultRenderConfig.trustDomain, facts, policies.map(withGeneration), namespaceTenants);
}

/** `count` scenarios of the evaluator's property test, the same ones on every run. */
export function scenarioWorlds(count: number, seed = 20261201): RenderedWorld[] {
  return fc.sample(scenarioArb, { numRuns: count, seed }).map((scenario, n) => scenarioWorld(`scenario ${n}`, scenario));
}

export function scenarioWorld(name: string, scenario: Scenario): RenderedWorld {
  return renderWorld(name, scenario.trustDomain, scenario.identities, scenario.policies);
}

/** The benchmark's workload at a small size: the shapes `make bench` renders by the thousand. */
export function benchWorld(size = 150): RenderedWorld {
  const workload = buildWorkload({ size });
  return renderWorld(`bench workload (${size})`, defaultRenderConfig.trustDomain, workload.identities.map(factsOf), workload.policies.map(withGeneration));
}

// Rendered metadata names the source generation; objects read from files have none yet.
function withGeneration(policy: AccessPolicy): AccessPolicy {
  return { ...policy, metadata: { ...policy.metadata, generation: policy.metadata.generation ?? 1 } };
}
