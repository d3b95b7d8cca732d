// /healthz, /readyz and /metrics for kubelet probes and Prometheus.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { MetricsAccess } from "./runtime/metrics-access.js";

// Not an ESM import: importing node:http as a module reads every one of its exports, and on
// Node.js 24 some of them are getters that load fetch's implementation (undici): 2.5 MB of
// heap in a bare process, 1.2 MB in the gate, that every full collection marks again
// (README, the gate's p99). The CommonJS exports object reads nothing it is not asked for.
const { createServer } = process.getBuiltinModule("node:http");

export interface ProbeServerOptions {
  host: string;
  port: number;
  ready?: () => boolean;
  registry?: Registry;
  /** Decides who may read /metrics; absent: anyone who can reach the port. */
  metricsAccess?: { check(authorization: string | undefined): Promise<MetricsAccess> };
}

export async function startHttpServer(options: ProbeServerOptions): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (path === "/readyz" && options.ready) {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ok" : "caches not synced");
    } else if (path === "/metrics" && options.registry) {
      const registry = options.registry;
      const allowed = options.metricsAccess ? options.metricsAccess.check(req.headers.authorization) : Promise.resolve({ status: 200 } as MetricsAccess);
      allowed
        .then(async (access) => {
          if (access.status !== 200) {
            const headers = { "content-type": "text/plain", ...(access.status === 401 ? { "www-authenticate": 'Bearer realm="nexus-operator metrics"' } : {}) };
            res.writeHead(access.status, headers).end(`${access.message}\n`);
            return;
          }
          const text = await registry.metrics();
          res.writeHead(200, { "content-type": registry.contentType }).end(text);
        })
        .catch(() => res.writeHead(500).end());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
