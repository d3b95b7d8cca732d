// nexus-authz, the credential gate: Envoy's ext_authz Check over gRPC, answering 401, 403,
// 429 or OK for each request Istio sends it through an AuthorizationPolicy of action CUSTOM.
// Its own process (same image as the operator): node dist/authz/main.js.
import { readFile } from "node:fs/promises";
import pino from "pino";
import { startHttpServer } from "../http-server.js";
import { parseAddress } from "../bind-address.js";
import { loadClusterAccess } from "../runtime/cluster-access.js";
import { KubeClient } from "../runtime/kube-client.js";
import { bufferedStdout, createLogger } from "../runtime/logger.js";
import { auditSinkOn } from "./audit.js";
import { startCheckServer } from "./check-server.js";
import { RateLimitedFailures } from "./failure-limiter.js";
import { Gate } from "./gate.js";
import { GateIndex } from "./gate-index.js";
import { JoseTokenVerifier } from "./jwt-verifier.js";
import { JwksFetchGuard } from "./jwks-fetch.js";
import { AuthzMetrics } from "./metrics.js";
import { parseAuthzSettings } from "./options.js";
import { GateWatch } from "./watch.js";

async function main(): Promise<void> {
  // Settings and the connection they name: either wrong is a usage error, said before anything starts.
  let settings;
  let access;
  try {
    settings = parseAuthzSettings(process.argv.slice(2), process.env);
    access = loadClusterAccess(settings.kubeconfig);
  } catch (err) {
    process.stderr.write(`nexus-authz: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logOutput = bufferedStdout();
  const log = createLogger(settings.logLevel, logOutput, "nexus-authz");
  // The audit sink hands the file whole blocks of records as bytes; on standard output they
  // share the log's destination (and its strings), so lines never interleave.
  const audit = settings.auditLog
    ? auditSinkOn(pino.destination({ dest: settings.auditLog, sync: false, mkdir: true, contentMode: "buffer", minLength: 8 * 1024, periodicFlush: 250 } as never) as typeof logOutput, { bytes: true })
    : auditSinkOn(logOutput);
  const client = new KubeClient(access);
  const index = new GateIndex(settings.trustDomain);
  const watch = new GateWatch(client, log, index, settings.trustDomain, settings.tenantLabel);
  const metrics = new AuthzMetrics({ processMetrics: true });
  metrics.countIndexedWith(() => index.size);
  const limiter = settings.redisUrl
    ? await RateLimitedFailures.shared(settings.budget, settings.redisUrl, (message) => log.warn({ err: message }, "rate-limit store unreachable; limiting in memory until it is back"))
    : RateLimitedFailures.inMemory(settings.budget);
  const tokens = new JoseTokenVerifier({
    cooldownMs: settings.jwksCooldownSeconds * 1000,
    cacheMaxAgeMs: settings.jwksCacheSeconds * 1000,
    clockToleranceSeconds: 60,
    tokenCacheBytes: settings.tokenCacheBytes,
    keySetCacheBytes: settings.keySetCacheBytes,
    fetchGuard: new JwksFetchGuard({ allowedHosts: settings.allowedJwksHosts, allowedAddresses: settings.allowedJwksAddresses }),
  });
  metrics.measureCachesWith(() => tokens.cachedBytes);
  const gate = new Gate({
    index,
    tokens,
    limiter,
    ready: () => watch.ready,
    realm: settings.realm,
    clients: { trustedGateways: new Set(settings.trustedGatewayPrincipals), trustedHops: settings.trustedGatewayHops },
    maxPathLength: settings.maxPathLength,
    waypoints: watch.waypoints,
  });
  const tls = settings.tls ? { cert: await readFile(settings.tls.certFile), key: await readFile(settings.tls.keyFile), clientCa: await readFile(settings.tls.clientCaFile) } : undefined;
  // Serving starts before the caches fill: until then every Check is answered 503.
  const grpc = await startCheckServer({
    gate,
    audit,
    metrics,
    log,
    ...parseAddress(settings.grpcAddress),
    callerIdentity: settings.callerIdentity,
    ...(settings.gateSpiffeId ? { gateSpiffeId: settings.gateSpiffeId } : {}),
    ...(tls ? { tls } : {}),
  });
  const probes = await startHttpServer({ ...parseAddress(settings.probeAddress), ready: () => watch.ready });
  const metricsServer = await startHttpServer({ ...parseAddress(settings.metricsAddress), registry: metrics.registry });
  log.info(
    {
      grpcPort: grpc.port,
      probePort: probes.port,
      metricsPort: metricsServer.port,
      trustDomain: settings.trustDomain,
      rateLimitStore: settings.redisUrl ? "redis" : "memory",
      audit: settings.auditLog ? "file" : "stdout",
      callerIdentity: settings.callerIdentity,
      trustedGateways: settings.trustedGatewayPrincipals.length,
    },
    "serving Check, probes and metrics",
  );

  let stopping = false;
  async function stop(reason: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, "shutting down");
    await new Promise<void>((resolve) => grpc.server.tryShutdown(() => resolve()));
    await watch.stop();
    await limiter.close();
    probes.server.close();
    metricsServer.server.close();
    client.close();
    // Records whose write is under way are waited for, then the rest is written at once.
    await Promise.race([audit.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    audit.flushSync();
    logOutput.flushSync();
    process.exit(0);
  }
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await watch.start();
  log.info({ policies: index.size.policies, keys: index.size.keys }, "caches synced; answering Checks");
}

main().catch((err) => {
  process.stderr.write(`nexus-authz: ${(err as Error).message}\n`);
  process.exit(1);
});
