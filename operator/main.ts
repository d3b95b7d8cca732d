// The operator binary: settings, logs, probes, metrics, the controllers, graceful stop.
import { KubeConfig } from "@kubernetes/client-node";
import { startHttpServer } from "./http-server.js";
import { Operator } from "./manager.js";
import { parseAddress, parseSettings } from "./options.js";
import { createLogger } from "./runtime/logger.js";
import { OperatorMetrics } from "./runtime/metrics.js";

async function main(): Promise<void> {
  let settings;
  try {
    settings = parseSettings(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`nexus-operator: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(settings.logLevel);
  const kubeConfig = new KubeConfig();
  if (settings.kubeconfig) kubeConfig.loadFromFile(settings.kubeconfig);
  else kubeConfig.loadFromDefault();
  const metrics = new OperatorMetrics({ processMetrics: true });
  const operator = new Operator({ kubeConfig, render: settings.render, log, concurrency: settings.concurrency, metrics });
  const probe = parseAddress(settings.probeAddress);
  const metricsAddress = parseAddress(settings.metricsAddress);
  const probes = await startHttpServer({ ...probe, ready: () => operator.ready() });
  const metricsServer = await startHttpServer({ ...metricsAddress, registry: metrics.registry });
  log.info({ probePort: probes.port, metricsPort: metricsServer.port, trustDomain: settings.render.trustDomain }, "serving probes and metrics");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    await operator.stop();
    probes.server.close();
    metricsServer.server.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await operator.start();
}

main().catch((err) => {
  process.stderr.write(`nexus-operator: ${(err as Error).message}\n`);
  process.exit(1);
});
