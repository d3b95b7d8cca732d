// The floor: a bare client (KubeClient.apply, same concurrency as the operator) writing
// exactly the objects the operator would write, on a control plane of its own that holds the
// same EngineIdentities and AccessPolicies the operator gets (and, for an ambient workload,
// the same namespace labels, waypoints and Services), and no operator. Then, timed
// apart, the status patches the operator makes, for an "objects + status" floor.
import path from "node:path";
import type { AccessPolicy, EngineIdentity } from "../operator/api/types.js";
import { repoRoot } from "../test/controlplane/binaries.js";
import { apiserverCounters, apiserverProfileWanted, ApiserverProfileSeries, countersMoved } from "./apiserver-profile.js";
import { KubeClient, type KubeObject } from "../operator/runtime/kube-client.js";
import { resources } from "../operator/runtime/resources.js";
import { cpuDelta, cpuSnapshot, type CpuSnapshot } from "./cpu-accounting.js";
import { createInputs, createNamespaces, kubeConfigFrom, type BenchCluster } from "./cluster.js";
import { dataPlanesOf } from "./ambient-workload.js";
import { desiredWrites } from "./desired-objects.js";
import { runFloorBurst, type BurstEdit, type BurstResult } from "./burst.js";
import { runPool, withRetry } from "./pool.js";
import { CompletionTracker } from "./readiness.js";
import type { Workload } from "./workload.js";

export const FLOOR_USER = "nexus-bench-floor";

export interface FloorResult {
  inputsMs: number;
  renderMs: number;
  objects: number;
  objectsMs: number;
  statuses: number;
  statusMs: number;
  objectBytes: number;
  /** CPU seconds per process while the objects were written, and while the statuses were. */
  objectsCpu: CpuSnapshot;
  statusCpu: CpuSnapshot;
  policyHashes: Map<string, string>;
  /** The GitOps burst's changes and the writes that follow them. */
  burst?: BurstResult & { writes: number };
}

export async function runFloor(cluster: BenchCluster, workload: Workload, concurrency: number, log: (line: string) => void, burstEdits: BurstEdit[] = []): Promise<FloorResult> {
  await createNamespaces(cluster.client, workload, concurrency);
  const inputsMs = await createInputs(cluster.client, workload, concurrency);
  log(`floor: inputs created in ${(inputsMs / 1000).toFixed(1)}s`);
  const identities = (await cluster.client.list<KubeObject>(resources.engineIdentity)).items as unknown as EngineIdentity[];
  const policies = (await cluster.client.list<KubeObject>(resources.accessPolicy)).items as unknown as AccessPolicy[];
  const renderStarted = performance.now();
  const desired = desiredWrites(identities, policies, workload.namespaces, undefined, workload.namespaceTenants, dataPlanesOf(workload));
  const renderMs = performance.now() - renderStarted;
  const objectBytes = desired.objects.reduce((sum, o) => sum + JSON.stringify(o).length, 0);

  // Its own user, authenticated as the operator is (client certificate, system:masters).
  const kubeconfig = await cluster.controlPlane.mintUserKubeconfig(FLOOR_USER, ["system:masters"]);
  const client = new KubeClient(kubeConfigFrom(kubeconfig), { maxSockets: concurrency * 2 });
  try {
    await client.list(resources.namespace); // TLS handshake and credentials outside the clock
    const tempDir = cluster.controlPlane.tempDir;
    const counted = ["etcd", "kube-apiserver", "kube-controller-manager", "bench"];
    // The same watches the benchmark keeps on the operator's cluster, so that measuring
    // costs the apiserver the same in both phases.
    const tracker = new CompletionTracker(cluster.kubeConfig, cluster.client, workload);
    await tracker.start();
    const apiserverProfile = apiserverProfileWanted() ? new ApiserverProfileSeries(cluster.kubeConfig, path.join(repoRoot, ".bench", "profiles", `apiserver-floor-${workload.size}-${Date.now()}`)) : undefined;
    const countersBefore = apiserverProfile ? await apiserverCounters(cluster.kubeConfig) : undefined;
    const cpu0 = await cpuSnapshot(tempDir);
    const objectsStarted = performance.now();
    await runPool(desired.objects, concurrency, (object) => withRetry(() => client.apply(object)));
    const objectsMs = performance.now() - objectsStarted;
    const cpu1 = await cpuSnapshot(tempDir);
    log(`floor: ${desired.objects.length} objects applied in ${(objectsMs / 1000).toFixed(1)}s`);
    const statusStarted = performance.now();
    await runPool(desired.statuses, concurrency, ({ object, status }) => withRetry(() => client.applyStatus(object, status)));
    const statusMs = performance.now() - statusStarted;
    const cpu2 = await cpuSnapshot(tempDir);
    const complete = await tracker.waitComplete(60_000).catch((err: Error) => err);
    if (countersBefore) log(`floor: apiserver counters moved\n${countersMoved(countersBefore, await apiserverCounters(cluster.kubeConfig))}`);
    tracker.stop();
    if (complete instanceof Error) throw new Error(`the floor's writes did not all arrive: ${complete.message}`);
    if (apiserverProfile) log(`floor: apiserver profile ${await apiserverProfile.stop()}`);
    log(`floor: ${desired.statuses.length} statuses applied in ${(statusMs / 1000).toFixed(1)}s`);
    let burst: FloorResult["burst"];
    if (burstEdits.length > 0) {
      burst = await runFloorBurst(cluster.kubeConfig, cluster.client, client, burstEdits, concurrency);
      log(`floor: burst of ${burstEdits.length} changed policies and ${burst.writes} writes in ${(burst.ms / 1000).toFixed(1)}s`);
    }
    return {
      inputsMs,
      renderMs,
      objects: desired.objects.length,
      objectsMs,
      statuses: desired.statuses.length,
      statusMs,
      objectBytes,
      objectsCpu: cpuDelta(cpu0, cpu1, counted),
      statusCpu: cpuDelta(cpu1, cpu2, counted),
      policyHashes: desired.policyHashes,
      ...(burst ? { burst } : {}),
    };
  } finally {
    client.close();
  }
}
