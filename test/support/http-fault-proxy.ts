// An HTTP-aware proxy in front of the apiserver for one client, to make the apiserver look
// overloaded or broken to that client only: it terminates TLS with a serving certificate
// from the control plane's CA, forwards each request upstream with the client's own
// certificate (so the apiserver still sees, authorizes and audits the same user), and while
// a fault is set answers matching requests itself with 429 (and Retry-After, as API
// Priority and Fairness does) or a 5xx Status. Every request is recorded, so a test can
// count what the client sent while the fault lasted. Streams (watches) pass through.
import { randomUUID } from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type net from "node:net";
import path from "node:path";
import type { ControlPlaneConnection } from "../controlplane/credentials.js";
import { writeKubeconfig } from "../controlplane/kubeconfig.js";
import { createClientCertificate, createServingCertificate, importCertificateAuthority } from "../controlplane/pki.js";

export interface InjectedFault {
  status: 429 | 500 | 502 | 503 | 504;
  retryAfterSeconds?: number;
}

export interface ProxiedRequest {
  /** performance.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  watch: boolean;
  /** The status the client got, set when answered. */
  status?: number;
  injected: boolean;
}

export type FaultRule = (request: { method: string; path: string; watch: boolean }) => InjectedFault | undefined;

export interface HttpFaultProxy {
  url: string;
  /** The user's kubeconfig, pointed at the proxy. */
  kubeconfigPath: string;
  readonly requests: readonly ProxiedRequest[];
  /** Answers requests the rule picks with its fault; undefined forwards everything again. */
  inject(rule: FaultRule | undefined): void;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  429: "TooManyRequests",
  500: "InternalError",
  502: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export async function startHttpFaultProxy(connection: ControlPlaneConnection, user: string, groups: string[] = []): Promise<HttpFaultProxy> {
  const ca = await importCertificateAuthority(connection.caPem, connection.caKeyPem);
  const [serving, client] = await Promise.all([createServingCertificate(ca, "nexus-fault-proxy"), createClientCertificate(ca, user, groups)]);
  const upstream = new URL(connection.server);
  const agent = new https.Agent({ keepAlive: true, ca: connection.caPem, cert: client.certPem, key: client.keyPem });
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let rule: FaultRule | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const watch = /[?&]watch=(true|1)\b/.test(url);
    const record: ProxiedRequest = { at: performance.now(), method: req.method ?? "GET", path: url, watch, injected: false };
    requests.push(record);
    const fault = rule?.({ method: record.method, path: url, watch });
    if (fault) {
      record.injected = true;
      record.status = fault.status;
      req.resume();
      const body = JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason: REASONS[fault.status], message: `injected by the test proxy: HTTP ${fault.status}`, code: fault.status });
      res.writeHead(fault.status, { "content-type": "application/json", ...(fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {}) });
      res.end(body);
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    const forwarded = https.request({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: url, headers, agent }, (answer) => {
      record.status = answer.statusCode;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on("error", () => res.destroy());
    // A client that hangs up (a watch it stops) ends the upstream request with it.
    res.on("close", () => forwarded.destroy());
    req.pipe(forwarded);
  };

  const server = https.createServer({ key: serving.keyPem, cert: serving.certPem }, handle);
  server.on("secureConnection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const kubeconfigPath = await writeKubeconfig(path.join(connection.tempDir, "kubeconfigs", `fault-proxy-${randomUUID().slice(0, 8)}.kubeconfig`), {
    server: url,
    caPem: connection.caPem,
    userName: user,
    credentials: client,
  });

  return {
    url,
    kubeconfigPath,
    requests,
    inject(next) {
      rule = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
