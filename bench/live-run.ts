// The other way a cluster fills: the operator already runs when the workload is applied
// (identities first, then policies, with the same bounded concurrency). Timed from the first
// create until everything is rendered and Ready.
import path from "node:path";
import { AuditCounter, type WriteCount } from "./audit-counter.js";
import { createInputs, createNamespaces, startBenchCluster } from "./cluster.js";
import { OperatorProcess, sumOf } from "./operator-process.js";
import { OPERATOR_USER, type PhaseOptions } from "./operator-run.js";
import { CompletionTracker } from "./readiness.js";

export interface LiveRunResult {
  /** First create -> last create answered. */
  inputsMs: number;
  /** First create -> every object rendered and Ready. */
  readyMs: number;
  writes: WriteCount;
  reconciles: number;
  peakRssBytes: number;
}

export async function runLivePhase(options: PhaseOptions): Promise<LiveRunResult> {
  const { workload, concurrency, log } = options;
  const cluster = await startBenchCluster();
  let operator: OperatorProcess | undefined;
  const tracker = new CompletionTracker(cluster.kubeConfig, cluster.client, workload);
  try {
    await createNamespaces(cluster.client, workload, concurrency);
    const kubeconfigPath = await cluster.controlPlane.mintUserKubeconfig(OPERATOR_USER, ["system:masters"]);
    const audit = new AuditCounter(cluster.controlPlane.auditLogPath!, OPERATOR_USER);
    const mark = await audit.mark();
    operator = new OperatorProcess({ kubeconfigPath, concurrency, logFile: path.join(options.outDir, "logs", `operator-${workload.size}-live.log`) });
    await operator.controllersStarted();
    await operator.idle({ quietMs: 1000 }); // the baseline of the namespaces, before the clock
    await tracker.start();
    const started = performance.now();
    const inputsMs = await createInputs(cluster.client, workload, concurrency);
    log(`live: inputs created in ${(inputsMs / 1000).toFixed(1)}s with the operator running`);
    const completeAt = await tracker.waitComplete(900_000, (line) => log(`live: ${line}`));
    await operator.idle({ quietMs: 2000 });
    const result: LiveRunResult = {
      inputsMs,
      readyMs: completeAt - started,
      writes: await audit.writesSince(mark),
      reconciles: sumOf(await operator.metrics(), "controller_runtime_reconcile_total"),
      peakRssBytes: operator.peakRss(),
    };
    log(`live: all Ready ${(result.readyMs / 1000).toFixed(1)}s after the first create, ${result.writes.total} writes, peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
    return result;
  } finally {
    tracker.stop();
    await operator?.stop();
    await cluster.stop();
  }
}
