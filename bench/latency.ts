// Edit-to-enforcement latency with everything loaded: change one source of an AccessPolicy
// and time until its AuthorizationPolicy carries the change (seen on a watch), and until the
// policy reports Ready at the new generation. One edit at a time. For an ambient target the
// AuthorizationPolicy watched is its waypoint's, which names the callers.
import type { KubeConfig } from "@kubernetes/client-node";
import type { AccessPolicy, AccessSource } from "../operator/api/types.js";
import { shardName, waypointShardName } from "../operator/render/names.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SOURCE_GENERATION_ANNOTATION } from "../operator/render/metadata.js";
import type { KubeClient, KubeObject } from "../operator/runtime/kube-client.js";
import { resources } from "../operator/runtime/resources.js";
import { withTimeout } from "./pool.js";
import { readyAtGeneration } from "./readiness.js";
import { ResourceWatch } from "./watch.js";
import type { Workload } from "./workload.js";

export interface LatencyResult {
  /** Edit sent -> AuthorizationPolicy with the new source, per edit, ms. */
  renderedMs: number[];
  /** Edit sent -> AccessPolicy Ready at the new generation, per edit, ms. */
  readyMs: number[];
  /** Edits whose AuthorizationPolicy did not hold the new principal at the new generation. */
  wrong: number;
}

interface Pending {
  generation: number;
  principal: string;
  resolve: (ok: boolean) => void;
}

export async function measureEditLatency(kubeConfig: KubeConfig, client: KubeClient, workload: Workload, samples: number): Promise<LatencyResult> {
  const rendered = new Map<string, Pending>();
  const ready = new Map<string, { generation: number; resolve: () => void }>();
  const apWatch = new ResourceWatch(kubeConfig, client, resources.authorizationPolicy, (event, ap) => {
    const key = `${ap.metadata.namespace}/${ap.metadata.name}`;
    const pending = rendered.get(key);
    if (!pending || event === "DELETED") return;
    const generation = Number(ap.metadata.annotations?.[SOURCE_GENERATION_ANNOTATION] ?? 0);
    if (generation < pending.generation) return;
    rendered.delete(key);
    pending.resolve(JSON.stringify(ap.spec).includes(`"${pending.principal}"`));
  }, { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`, skipInitialList: true });
  const policyWatch = new ResourceWatch(kubeConfig, client, resources.accessPolicy, (_event, policy) => {
    const key = `${policy.metadata.namespace}/${policy.metadata.name}`;
    const pending = ready.get(key);
    if (!pending || (policy.metadata.generation ?? 0) < pending.generation || !readyAtGeneration(policy)) return;
    ready.delete(key);
    pending.resolve();
  }, { skipInitialList: true });
  await Promise.all([apWatch.start(), policyWatch.start()]);

  const result: LatencyResult = { renderedMs: [], readyMs: [], wrong: 0 };
  try {
    const step = Math.max(1, Math.floor(workload.policies.length / samples));
    for (let k = 0; k < samples; k++) {
      // A policy without a tenant source, so the new principal is not already admitted.
      let index = (k * step + 1) % workload.policies.length;
      while (workload.policies[index]!.spec.rules?.some((r) => r.from?.some((s) => s.tenant))) index = (index + 1) % workload.policies.length;
      const target = workload.policies[index]!;
      const { namespace, name } = target.metadata;
      const live = await client.get<KubeObject & AccessPolicy>(resources.accessPolicy, name, namespace);
      const rules = structuredClone(live.spec.rules ?? []);
      const source = replacementSource(workload, namespace, rules[0]?.from ?? [], k);
      rules[0]!.from![0] = source.source;
      const generation = (live.metadata.generation ?? 0) + 1;
      // An ambient target's callers are in its waypoint's AuthorizationPolicy (ztunnel's admits the waypoint).
      const apName = workload.ambient?.namespaceLabels.has(namespace) ? waypointShardName(name, 0) : shardName(name, 0);
      const apKey = `${namespace}/${apName}`;
      const renderedDone = new Promise<boolean>((resolve) => rendered.set(apKey, { generation, principal: source.principal, resolve }));
      const readyDone = new Promise<void>((resolve) => ready.set(`${namespace}/${name}`, { generation, resolve }));
      const started = performance.now();
      await client.mergePatch(resources.accessPolicy, name, namespace, { spec: { rules } }, "nexus-bench-editor");
      const ok = await withTimeout(renderedDone, 30_000, `AuthorizationPolicy of ${namespace}/${name} at generation ${generation}`);
      result.renderedMs.push(performance.now() - started);
      if (!ok) result.wrong++;
      await withTimeout(readyDone, 30_000, `AccessPolicy ${namespace}/${name} Ready at generation ${generation}`);
      result.readyMs.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    apWatch.stop();
    policyWatch.stop();
  }
  return result;
}

/** An identity of the policy's namespace that none of its current sources names. */
function replacementSource(workload: Workload, namespace: string, current: AccessSource[], k: number): { source: AccessSource; principal: string } {
  const named = new Set(current.flatMap((s) => (s.identity && (s.identity.namespace ?? namespace) === namespace ? [s.identity.name] : [])));
  const candidates = workload.identities.filter((i) => i.metadata.namespace === namespace && !named.has(i.metadata.name));
  const pick = candidates[(k * 7) % candidates.length]!;
  const serviceAccount = pick.spec.serviceAccountName ?? pick.metadata.name;
  return { source: { identity: { name: pick.metadata.name } }, principal: `cluster.local/ns/${namespace}/sa/${serviceAccount}` };
}
