// A real redis-server (Debian package, installed by hack/ensure-debian-package.sh when missing) on a
// free loopback port, without persistence, for the shared rate-limit budget.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { repoRoot } from "../../controlplane/binaries.js";
import { waitFor } from "../../controlplane/wait.js";

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  execFileSync("bash", [path.join(repoRoot, "hack", "ensure-debian-package.sh"), "redis-server", "redis-server"], { stdio: "inherit" });
  const port = await freeLoopbackPort();
  const dir = await mkdtemp(path.join(tmpdir(), "nexus-redis-"));
  const child: ChildProcess = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => undefined); // not up yet: the next attempt tells
      try {
        await client.connect();
        return (await client.ping()) === "PONG" ? true : undefined;
      } catch {
        return undefined;
      } finally {
        client.disconnect();
      }
    },
    { timeoutMs: 15_000, description: "redis-server to answer PING", abortIf: () => (child.exitCode !== null ? `redis-server exited with ${child.exitCode}` : undefined) },
  );
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
