// istiod itself (pilot-discovery, built by hack/build-istiod.sh from the istio.io/istio pin
// the Istio judge uses) running against the test control plane, with ambient mode on, so
// that real Istio writes its status conditions (ZtunnelAccepted, WaypointAccepted,
// istio.io/WaypointBound) on the objects a test applies.
//
// It sees only the namespaces carrying `namespaceLabels` (the mesh config's
// discoverySelectors): it reads and writes nothing of other tests' namespaces. Its own
// namespace (leader-election leases, its root namespace) is made for it and deleted on stop.
// No CA, no injector, no webhooks, no waypoint Deployments, no GatewayClasses: only the
// discovery server and its controllers. Its log goes to a file in a temp folder (kept
// with NEXUS_KEEP_CONTROL_PLANE=1); a failed start names the folder and the last lines.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { runHackScript } from "../controlplane/hack-script.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "./kube.js";

/** A cold build compiles pilot-discovery's packages (the judge's build cache has the rest). */
export const ISTIOD_BUILD_TIMEOUT_MS = 30 * 60_000;
const READY_TIMEOUT_MS = 90_000;
const DISCOVERY_LABEL = "nexus-test/istiod";

let built: Promise<string> | undefined;

/** Path of pilot-discovery: the folder hack/build-istiod.sh prints last, plus the binary's name. */
export function istiodBinary(): Promise<string> {
  built ??= runHackScript("build-istiod.sh").then((lines) => path.join(lines.at(-1) as string, "pilot-discovery"));
  return built;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** istio.security.Authorization as istiod's debug endpoint prints it (protobuf JSON). */
export interface ZtunnelAuthorization {
  name: string;
  namespace: string;
  scope?: string;
  action?: string;
  groups?: Array<{ rules?: Array<{ matches?: Array<Record<string, unknown>> }> }>;
  [field: string]: unknown;
}

export interface IstiodOptions {
  kubeconfigPath: string;
  trustDomain?: string;
}

export class Istiod {
  private exited: string | undefined;
  private tail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly kubeconfigPath: string,
    /** Its own namespace (leases, root namespace). */
    readonly namespace: string,
    /** Labels a namespace needs for this istiod to see it. */
    readonly namespaceLabels: Record<string, string>,
    readonly logDir: string,
    private readonly logClosed: Promise<void>,
    private readonly httpPort: number,
  ) {
    child.on("exit", (code, signal) => {
      this.exited = signal ?? `code ${code}`;
    });
  }

  static async start(options: IstiodOptions): Promise<Istiod> {
    const binary = await istiodBinary();
    const id = uniqueName("istiod");
    const namespaceLabels = { [DISCOVERY_LABEL]: id };
    const client = adminClient(options.kubeconfigPath);
    const logDir = await mkdtemp(path.join(tmpdir(), "nexus-istiod-"));
    let istiod: Istiod | undefined;
    try {
      await createNamespace(client, id, namespaceLabels);
      const meshConfig = [
        `trustDomain: ${options.trustDomain ?? "cluster.local"}`,
        `rootNamespace: ${id}`,
        "discoverySelectors:",
        `- matchLabels: {${JSON.stringify(DISCOVERY_LABEL)}: ${JSON.stringify(id)}}`,
      ].join("\n");
      await writeFile(path.join(logDir, "mesh.yaml"), `${meshConfig}\n`);
      const [grpc, http, https, monitoring] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const log = createWriteStream(path.join(logDir, "istiod.log"));
      const logClosed = new Promise<void>((resolve) => log.once("close", () => resolve()));
      const child = spawn(
        binary,
        [
          "discovery",
          `--kubeconfig=${options.kubeconfigPath}`,
          `--meshConfig=${path.join(logDir, "mesh.yaml")}`,
          `--networksConfig=${path.join(logDir, "no-mesh-networks.yaml")}`,
          `--grpcAddr=127.0.0.1:${grpc}`,
          `--httpAddr=127.0.0.1:${http}`,
          `--httpsAddr=127.0.0.1:${https}`,
          `--monitoringAddr=127.0.0.1:${monitoring}`,
          "--secureGRPCAddr=",
          "--ctrlz_port=0",
          "--shutdownDuration=1s",
          "--log_output_level=default:info",
        ],
        {
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: logDir,
            POD_NAMESPACE: id,
            POD_NAME: id,
            PILOT_ENABLE_AMBIENT: "true",
            JWT_POLICY: "first-party-jwt",
            ENABLE_CA_SERVER: "false",
            INJECTION_WEBHOOK_CONFIG_NAME: "",
            VALIDATION_WEBHOOK_CONFIG_NAME: "",
            PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: "false",
            PILOT_ENABLE_GATEWAY_API_GATEWAYCLASS_CONTROLLER: "false",
          },
        },
      );
      istiod = new Istiod(child, options.kubeconfigPath, id, namespaceLabels, logDir, logClosed, http);
      const keep = (chunk: Buffer) => {
        log.write(chunk);
        istiod!.tail = [...istiod!.tail, ...chunk.toString("utf8").split("\n").filter(Boolean)].slice(-20);
      };
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      let ends = 0;
      const end = () => (++ends === 2 ? log.end() : undefined);
      child.stdout!.once("end", end);
      child.stderr!.once("end", end);
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", (err) => reject(new Error(`cannot run istiod ${binary}: ${err.message}`)));
      });
      const started = istiod;
      await waitFor(
        async () => {
          if (started.exited) throw new Error(`istiod exited (${started.exited}) before it was ready (log: ${logDir}/istiod.log); last lines:\n${started.tail.join("\n")}`);
          const answer = await fetch(`http://127.0.0.1:${http}/ready`).catch(() => undefined);
          return answer?.status === 200 ? true : undefined;
        },
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, description: `istiod ready (log: ${logDir}/istiod.log)` },
      );
      return started;
    } catch (err) {
      if (istiod) await istiod.stop({ keepLog: true });
      else {
        await deleteNamespace(client, id).catch(() => {});
        await rm(logDir, { recursive: true, force: true });
      }
      throw err;
    } finally {
      client.close();
    }
  }

  /**
   * What ztunnel gets: the Authorization protos (istio.security.Authorization, protobuf
   * JSON) of istiod's ambient index, from its /debug/ambientz, for the namespaces it sees.
   */
  async ztunnelAuthorizations(): Promise<ZtunnelAuthorization[]> {
    const answer = await fetch(`http://127.0.0.1:${this.httpPort}/debug/ambientz`);
    if (answer.status !== 200) throw new Error(`istiod's /debug/ambientz answered ${answer.status}`);
    const body = (await answer.json()) as { policies?: ZtunnelAuthorization[] | null };
    return body.policies ?? [];
  }

  /** The last lines istiod logged, for a failing test's message. */
  lastLines(): string {
    return this.tail.join("\n");
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and deletes its namespace and, unless asked to keep them, its files. */
  async stop(options: { keepLog?: boolean } = {}): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    // The log file closes when both output streams end; a process that never spawned has none.
    await Promise.race([this.logClosed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    const client = adminClient(this.kubeconfigPath);
    try {
      await deleteNamespace(client, this.namespace).catch(() => {});
    } finally {
      client.close();
    }
    if (!options.keepLog && !process.env.NEXUS_KEEP_CONTROL_PLANE) await rm(this.logDir, { recursive: true, force: true });
  }
}
