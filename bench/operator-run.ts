// The operator phase: a fresh control plane holding the workload, the operator binary
// started on it (initial sync, timed until everything is Ready), then with everything
// loaded: a quiet period, edit latency, an apiserver restart and an operator restart, each
// counting the operator's writes in the audit log.
import path from "node:path";
import type { AccessPolicy } from "../operator/api/types.js";
import type { KubeObject } from "../operator/runtime/kube-client.js";
import { resources } from "../operator/runtime/resources.js";
import { AuditCounter, type WriteCount } from "./audit-counter.js";
import { runOperatorBurst, type BurstEdit, type BurstResult } from "./burst.js";
import { cpuDelta, cpuSnapshot, type CpuSnapshot } from "./cpu-accounting.js";
import { createInputs, createNamespaces, startBenchCluster } from "./cluster.js";
import { measureEditLatency, type LatencyResult } from "./latency.js";
import { apiserverCounters, apiserverProfileWanted, ApiserverProfileSeries, countersMoved } from "./apiserver-profile.js";
import { OperatorProcess, sumOf } from "./operator-process.js";
import { CompletionTracker } from "./readiness.js";
import type { Workload } from "./workload.js";

export const OPERATOR_USER = "nexus-bench-operator";

export interface PhaseOptions {
  workload: Workload;
  concurrency: number;
  outDir: string;
  latencySamples: number;
  cpuProfile: boolean;
  quietSeconds: number;
  /** The GitOps burst's changes (empty: no burst). */
  burst: BurstEdit[];
  log: (line: string) => void;
}

export interface ResyncResult {
  writes: WriteCount;
  reconciles: number;
  /** From the trigger until the operator was idle again. */
  ms: number;
}

export interface OperatorRunResult {
  inputsMs: number;
  /** Operator spawned -> every object rendered and Ready. */
  initialSyncMs: number;
  /** Operator spawned -> caches synced and controllers started. */
  cacheSyncMs: number;
  /** Operator spawned -> work queues empty and no reconcile for a while. */
  initialIdleMs: number;
  initialWrites: WriteCount;
  initialReconciles: number;
  /** CPU seconds per process from the operator's start until all was Ready. */
  initialCpu: CpuSnapshot;
  peakRssBytes: number;
  heapUsedBytes: number;
  policyHashes: Map<string, string>;
  /** Operator spawned -> its Event queue empty after the initial sync (the quiet window starts there). */
  eventsDrainedMs: number;
  quietWrites: WriteCount;
  burst?: BurstResult & { writes: WriteCount };
  latency: LatencyResult;
  apiserverRestart: ResyncResult;
  operatorRestart: ResyncResult & { peakRssBytes: number; exitCode: number | null };
  memoryTimeline: Array<{ s: number; mb: number }>;
}

export async function runOperatorPhase(options: PhaseOptions): Promise<OperatorRunResult> {
  const { workload, concurrency, log } = options;
  const tag = `${workload.size}${workload.ambient ? "-ambient" : ""}`;
  const cluster = await startBenchCluster();
  let operator: OperatorProcess | undefined;
  let tracker: CompletionTracker | undefined;
  try {
    await createNamespaces(cluster.client, workload, concurrency);
    const inputsMs = await createInputs(cluster.client, workload, concurrency);
    log(`operator: inputs created in ${(inputsMs / 1000).toFixed(1)}s; starting the operator`);
    const kubeconfigPath = await cluster.controlPlane.mintUserKubeconfig(OPERATOR_USER, ["system:masters"]);
    const audit = new AuditCounter(cluster.controlPlane.auditLogPath!, OPERATOR_USER);
    tracker = new CompletionTracker(cluster.kubeConfig, cluster.client, workload);
    await tracker.start();
    const spawn = (name: string) =>
      new OperatorProcess({
        kubeconfigPath,
        concurrency,
        logFile: path.join(options.outDir, "logs", `operator-${tag}-${name}.log`),
        ...(options.cpuProfile ? { cpuProfileDir: path.join(options.outDir, "profiles") } : {}),
        ...(process.env.BENCH_HEAP_PROF === "1" ? { heapProfileDir: path.join(options.outDir, "profiles") } : {}),
      });

    // Initial sync: everything is in the cluster, nothing rendered yet.
    const initialMark = await audit.mark();
    const tempDir = cluster.controlPlane.tempDir;
    const cpuBefore = await cpuSnapshot(tempDir);
    const apiserverProfile = apiserverProfileWanted() ? new ApiserverProfileSeries(cluster.kubeConfig, path.join(options.outDir, "profiles", `apiserver-operator-${tag}-${Date.now()}`)) : undefined;
    const countersBefore = apiserverProfile ? await apiserverCounters(cluster.kubeConfig) : undefined;
    operator = spawn("initial");
    const completeAt = await tracker.waitComplete(900_000, (line) => log(`operator: ${line}`));
    const initialCpu = cpuDelta(cpuBefore, await cpuSnapshot(tempDir, { operator: operator.pid }), ["etcd", "kube-apiserver", "kube-controller-manager", "operator"]);
    if (countersBefore) log(`operator: apiserver counters moved\n${countersMoved(countersBefore, await apiserverCounters(cluster.kubeConfig))}`);
    tracker.stop();
    tracker = undefined;
    if (apiserverProfile) log(`operator: apiserver profile ${await apiserverProfile.stop()}`);
    const syncedAt = await operator.controllersStarted();
    const idleAt = await operator.idle({ quietMs: 2000 });
    const initialWrites = await audit.writesSince(initialMark);
    const metrics = await operator.metrics();
    const initialReconciles = sumOf(metrics, "controller_runtime_reconcile_total");
    const initialSyncMs = completeAt - operator.spawnedAt;
    const cacheSyncMs = syncedAt - operator.spawnedAt;
    const initialIdleMs = idleAt - operator.spawnedAt;
    log(`operator: all Ready after ${(initialSyncMs / 1000).toFixed(1)}s, idle after ${(initialIdleMs / 1000).toFixed(1)}s, ${initialWrites.total} writes, peak RSS ${(operator.peakRss() / 2 ** 20).toFixed(0)} MiB`);

    const policies = (await cluster.client.list<KubeObject & AccessPolicy>(resources.accessPolicy)).items;
    const policyHashes = new Map(policies.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.status?.policyHash ?? ""]));

    // Steady state: nothing changes, nothing may be written. The window opens once the
    // Events of the initial sync are sent: they trail the work by design (paced).
    await operator.eventsDrained();
    const eventsDrainedMs = performance.now() - operator.spawnedAt;
    const quietMark = await audit.mark();
    await new Promise((resolve) => setTimeout(resolve, options.quietSeconds * 1000));
    const quietWrites = await audit.writesSince(quietMark);

    let burst: OperatorRunResult["burst"];
    if (options.burst.length > 0) {
      log(`operator: GitOps burst of ${options.burst.length} changed policies`);
      const burstMark = await audit.mark();
      const result = await runOperatorBurst(cluster.kubeConfig, cluster.client, options.burst, concurrency);
      await operator.idle({ quietMs: 2000 });
      await operator.eventsDrained();
      burst = { ...result, writes: await audit.writesSince(burstMark) };
      log(`operator: burst rendered and Ready after ${(result.ms / 1000).toFixed(1)}s, ${burst.writes.total} writes`);
    }

    log(`operator: measuring edit latency (${options.latencySamples} edits)`);
    const latency = await measureEditLatency(cluster.kubeConfig, cluster.client, workload, options.latencySamples);
    await operator.idle({ quietMs: 2000 });

    // Forced resync without a restart: the apiserver goes away and comes back, every watch
    // breaks and is re-established (relisting where the old resourceVersion is gone).
    log("operator: restarting the apiserver");
    const apiserverMark = await audit.mark();
    const beforeApiserver = sumOf(await operator.metrics(), "controller_runtime_reconcile_total");
    const apiserverStarted = performance.now();
    await cluster.controlPlane.restartApiServer();
    await new Promise((resolve) => setTimeout(resolve, 12_000)); // longer than the informers' longest backoff
    const apiserverIdle = await operator.idle({ quietMs: 3000 });
    const apiserverRestart: ResyncResult = {
      writes: await audit.writesSince(apiserverMark),
      reconciles: sumOf(await operator.metrics(), "controller_runtime_reconcile_total") - beforeApiserver,
      ms: apiserverIdle - apiserverStarted,
    };

    // Full resync: a new operator process reconciles every object from fresh caches.
    log("operator: restarting the operator");
    const restartMark = await audit.mark();
    const peakRssBytes = operator.peakRss();
    const heapUsedBytes = sumOf(metrics, "nodejs_heap_size_used_bytes");
    const memoryTimeline = downsample(operator.memory, operator.spawnedAt);
    const exitCode = await operator.stop();
    operator = spawn("restart");
    const restartIdle = await operator.idle({ quietMs: 3000 });
    const operatorRestart = {
      writes: await audit.writesSince(restartMark),
      reconciles: sumOf(await operator.metrics(), "controller_runtime_reconcile_total"),
      ms: restartIdle - operator.spawnedAt,
      peakRssBytes: operator.peakRss(),
      exitCode,
    };
    log(`operator: restart resync idle after ${(operatorRestart.ms / 1000).toFixed(1)}s with ${operatorRestart.writes.total} writes`);
    return {
      inputsMs,
      initialSyncMs,
      cacheSyncMs,
      initialIdleMs,
      initialWrites,
      initialReconciles,
      initialCpu,
      peakRssBytes,
      heapUsedBytes,
      policyHashes,
      eventsDrainedMs,
      quietWrites,
      ...(burst ? { burst } : {}),
      latency,
      apiserverRestart,
      operatorRestart,
      memoryTimeline,
    };
  } finally {
    tracker?.stop();
    await operator?.stop();
    await cluster.stop();
  }
}

function downsample(samples: Array<{ at: number; rssBytes: number }>, from: number): Array<{ s: number; mb: number }> {
  const every = Math.max(1, Math.ceil(samples.length / 200));
  return samples.filter((_, i) => i % every === 0).map((m) => ({ s: Math.round((m.at - from) / 100) / 10, mb: Math.round(m.rssBytes / 2 ** 20) }));
}
