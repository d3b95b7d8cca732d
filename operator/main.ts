// The operator binary: settings, logs, probes, metrics, the controllers, graceful stop.
import { startHttpServer } from "./http-server.js";
import { Operator } from "./manager.js";
import { parseAddress } from "./bind-address.js";
import { parseSettings } from "./options.js";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { loadClusterAccess } from "./runtime/cluster-access.js";
import { KubeClient } from "./runtime/kube-client.js";
import { KubernetesMetricsAccess } from "./runtime/metrics-access.js";
import { LeaderElector } from "./runtime/leader-election.js";
import { bufferedStdout, createLogger } from "./runtime/logger.js";
import { OperatorMetrics } from "./runtime/metrics.js";

async function main(): Promise<void> {
  // Settings and the connection they name: either wrong is a usage error, said before anything starts.
  let settings;
  let kubeConfig;
  try {
    settings = parseSettings(process.argv.slice(2), process.env);
    kubeConfig = loadClusterAccess(settings.kubeconfig);
  } catch (err) {
    process.stderr.write(`nexus-operator: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logOutput = bufferedStdout();
  const log = createLogger(settings.logLevel, logOutput);
  const metrics = new OperatorMetrics({ processMetrics: true });
  const operator = new Operator({ kubeConfig, render: settings.render, log, concurrency: settings.concurrency, metrics, eventRateLimit: settings.eventRateLimit });
  const probe = parseAddress(settings.probeAddress);
  const metricsAddress = parseAddress(settings.metricsAddress);
  const probes = await startHttpServer({ ...probe, ready: () => operator.ready() });
  const metricsAccess = settings.metricsAuth === "kubernetes" ? new KubernetesMetricsAccess(operator.client) : undefined;
  const metricsServer = await startHttpServer({ ...metricsAddress, registry: metrics.registry, ...(metricsAccess ? { metricsAccess } : {}) });
  log.info({ probePort: probes.port, metricsPort: metricsServer.port, metricsAuth: settings.metricsAuth, trustDomain: settings.render.trustDomain }, "serving probes and metrics");

  const election = settings.leaderElection;
  // The lease has a client of its own: the operator closes its client when it stops, and
  // the lease is handed on only after that.
  const leaseClient = election ? new KubeClient(kubeConfig, { maxSockets: 2 }) : undefined;
  const elector = election && leaseClient
    ? new LeaderElector({
        client: leaseClient,
        ...election,
        identity: `${hostname()}_${randomBytes(4).toString("hex")}`,
        log,
        onStartedLeading: () => operator.startControllers(),
        // A leader that lost its lease may be racing its successor: stop writing at once
        // and let the restart begin again as a follower with fresh caches.
        onStoppedLeading: () => void stop("lost leadership", 1),
      })
    : undefined;

  let stopping = false;
  async function stop(reason: string, code = 0): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, "shutting down");
    // Finish in-flight work first and only then hand the lease on, so two leaders never write.
    await operator.stop();
    await elector?.stop();
    leaseClient?.close();
    probes.server.close();
    metricsServer.server.close();
    logOutput.flushSync();
    process.exit(code);
  }
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await operator.startCaches();
  if (elector) elector.start();
  else operator.startControllers();
}

main().catch((err) => {
  process.stderr.write(`nexus-operator: ${(err as Error).message}\n`);
  process.exit(1);
});
