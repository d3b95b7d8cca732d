import http from "node:http";
import https from "node:https";
import net from "node:net";

export interface TlsClientOptions {
  ca?: string;
  cert?: string;
  key?: string;
  /** Only for endpoints with a self-generated serving cert we have no CA for. */
  insecure?: boolean;
}

export interface ProbeResult {
  status: number;
  body: string;
}

/** A single GET without connection reuse, so a restarted server is never probed on a dead socket. */
export function probe(url: string, tls: TlsClientOptions = {}, timeoutMs = 2_000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = { agent: false, timeout: timeoutMs };
    if (url.startsWith("https:")) {
      Object.assign(options, { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure });
    }
    const request = (url.startsWith("https:") ? https : http).get(url, options, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on("error", reject);
  });
}

/**
 * Ports the OS considers free right now. All are held open until every one is chosen, so
 * they are distinct; another process can still take one before our child binds it, which
 * the caller handles by retrying with fresh ports.
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
