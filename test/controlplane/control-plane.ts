import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AUDIT_POLICY_YAML } from "./audit.js";
import { type ControlPlaneBinaries, resolveControlPlaneBinaries } from "./binaries.js";
import { type ControlPlaneConnection, type ControlPlaneCredentials, credentialsFor } from "./credentials.js";
import { HarnessError } from "./errors.js";
import { writeKubeconfig } from "./kubeconfig.js";
import { guardAgainstOrphans } from "./orphan-guard.js";
import {
  type CertificateAuthority,
  type KeyAndCertificate,
  createCertificateAuthority,
  createClientCertificate,
  createServiceAccountSigningKey,
  createServingCertificate,
} from "./pki.js";
import { ManagedProcess } from "./process.js";
import { freeLoopbackPorts, probe } from "./probe.js";
import { waitFor } from "./wait.js";

export interface ControlPlaneOptions {
  /** Enables the audit log (JSON lines, one Metadata event per write request) at this path. */
  auditLogPath?: string;
  /** Enables the audit log at <tempDir>/audit.log, for callers that do not pick a path. */
  auditLog?: boolean;
  /** kube-controller-manager controllers beyond garbage collection and namespace deletion. */
  extraControllers?: string[];
  /** Deadline for each component to become ready. */
  startTimeoutMs?: number;
  /** Skips resolution (KUBEBUILDER_ASSETS or the build script) when the caller already has them. */
  binaries?: ControlPlaneBinaries;
  /**
   * Keeps the temp dir (component logs, etcd data, kubeconfigs) after stop() for a
   * post-mortem. Defaults to true when NEXUS_KEEP_CONTROL_PLANE=1.
   */
  keepTempDir?: boolean;
}

export interface ControlPlane extends ControlPlaneCredentials {
  /** Admin kubeconfig: a client certificate in system:masters. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  caPem: string;
  tempDir: string;
  /** Where write requests are audited; undefined unless auditLogPath or auditLog was given. */
  auditLogPath: string | undefined;
  /** Serializable; credentialsFor(connection) mints identities from another process. */
  connection: ControlPlaneConnection;
  /** Stops and starts the apiserver on the same port and etcd, then waits until it is ready again. */
  restartApiServer(): Promise<void>;
  /**
   * Restarts kube-controller-manager. The garbage collector rediscovers resource types only
   * every 30s, so after installing CRDs a restart makes ownerReference GC of custom
   * resources work at once.
   */
  restartControllerManager(): Promise<void>;
  /**
   * Stops etcd (SIGTERM, SIGKILL after 1s) and starts it again on the same ports and data dir, then waits for
   * its /health; `whileDown` runs in between. The apiserver stays up and answers errors
   * meanwhile, and reconnects by itself.
   */
  restartEtcd(whileDown?: () => Promise<void>): Promise<void>;
  /** Terminates every component and removes the temp dir (unless kept). Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;
const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
const ADMIN_USER = "nexus-test-admin";
// Its own identity keeps controller writes apart from test writes in audit logs;
// system:masters spares it the RBAC setup that per-controller service accounts need.
const CONTROLLER_MANAGER_USER = "system:kube-controller-manager";
const MASTERS = "system:masters";
const BASE_CONTROLLERS = ["garbage-collector-controller", "namespace-controller"];

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = options.binaries ?? (await resolveControlPlaneBinaries());
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const keepTempDir = options.keepTempDir ?? process.env.NEXUS_KEEP_CONTROL_PLANE === "1";
  const tempDir = await mkdtemp(path.join(os.tmpdir(), "nexus-control-plane-"));
  const dirs = {
    pki: path.join(tempDir, "pki"),
    logs: path.join(tempDir, "logs"),
    etcdData: path.join(tempDir, "etcd-data"),
    kubeconfigs: path.join(tempDir, "kubeconfigs"),
  };
  const auditLogPath = options.auditLogPath
    ? path.resolve(options.auditLogPath)
    : options.auditLog
      ? path.join(tempDir, "audit.log")
      : undefined;

  const processes: ManagedProcess[] = [];
  const guard = guardAgainstOrphans(tempDir, () => processes.forEach((p) => p.killNow()));
  const recordPids = () => guard.recordPids(processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid])));
  const managed = (name: string, binary: string) => {
    const proc = new ManagedProcess(name, binary, [], path.join(dirs.logs, `${name}.log`), recordPids);
    processes.push(proc);
    return proc;
  };
  const etcd = managed("etcd", binaries.etcd);
  const apiserver = managed("kube-apiserver", binaries.kubeApiserver);
  const controllerManager = managed("kube-controller-manager", binaries.kubeControllerManager);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.all([controllerManager.stop(), apiserver.stop()]);
      await etcd.stop();
      if (keepTempDir) {
        console.error(`control plane stopped; its logs and data are kept in ${tempDir}`);
      } else {
        await rm(tempDir, { recursive: true, force: true });
      }
      guard.release();
    })();
    return stopping;
  };

  try {
    await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
    const pki = await writePki(dirs.pki);

    const waitForEtcd = (url: string) =>
      waitFor(async () => ((await probe(`${url}/health`)).body.includes('"health":"true"') ? true : undefined), {
        timeoutMs,
        description: "etcd /health",
        abortIf: exitedMessage(etcd),
      });
    const etcdUrl = await startOnFreePorts(
      etcd,
      { ports: 2, scheme: "http" },
      ([client, peer]) => etcdArgs(dirs.etcdData, client!, peer!),
      waitForEtcd,
    );

    let auditArgs: string[] = [];
    if (auditLogPath) {
      const policyPath = path.join(tempDir, "audit-policy.yaml");
      await writeFile(policyPath, AUDIT_POLICY_YAML);
      await mkdir(path.dirname(auditLogPath), { recursive: true });
      auditArgs = [`--audit-policy-file=${policyPath}`, `--audit-log-path=${auditLogPath}`];
    }
    const adminTls = { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem };
    const waitForApiserver = (server: string) => waitForApiserverReady(server, adminTls, apiserver, timeoutMs);
    const server = await startOnFreePorts(
      apiserver,
      { ports: 1, scheme: "https" },
      ([port]) => [...apiserverArgs({ port: port!, etcdUrl, pkiDir: dirs.pki }), ...auditArgs],
      waitForApiserver,
    );

    const kubeconfigPath = await writeKubeconfig(path.join(tempDir, "admin.kubeconfig"), {
      server,
      caPem: pki.ca.certPem,
      userName: ADMIN_USER,
      credentials: pki.admin,
    });
    const controllerManagerKubeconfig = await writeKubeconfig(
      path.join(dirs.kubeconfigs, "kube-controller-manager.kubeconfig"),
      {
        server,
        caPem: pki.ca.certPem,
        userName: CONTROLLER_MANAGER_USER,
        credentials: pki.controllerManager,
      },
    );
    const controllers = [...BASE_CONTROLLERS, ...(options.extraControllers ?? [])];
    const waitForControllerManager = (url: string) =>
      waitFor(async () => ((await probe(`${url}/healthz`, { insecure: true })).status === 200 ? true : undefined), {
        timeoutMs,
        description: "kube-controller-manager /healthz",
        abortIf: exitedMessage(controllerManager),
      });
    const controllerManagerUrl = await startOnFreePorts(
      controllerManager,
      { ports: 1, scheme: "https" },
      ([port]) => controllerManagerArgs({ port: port!, kubeconfig: controllerManagerKubeconfig, controllers }),
      waitForControllerManager,
    );

    const connection: ControlPlaneConnection = {
      kubeconfigPath,
      server,
      caPem: pki.ca.certPem,
      caKeyPem: pki.ca.keyPem,
      tempDir,
      auditLogPath,
    };

    return {
      kubeconfigPath,
      server,
      caPem: pki.ca.certPem,
      tempDir,
      auditLogPath,
      connection,
      ...credentialsFor(connection),

      async restartApiServer() {
        await apiserver.stop();
        apiserver.start();
        await waitForApiserver(server).catch((err: unknown) => {
          throw startFailure(apiserver, err);
        });
      },

      async restartEtcd(whileDown) {
        // Open watch streams would hold a graceful stop for the whole grace period.
        await etcd.stop(1_000);
        await whileDown?.();
        etcd.start();
        await waitForEtcd(etcdUrl).catch((err: unknown) => {
          throw startFailure(etcd, err);
        });
      },

      async restartControllerManager() {
        await controllerManager.stop();
        controllerManager.start();
        await waitForControllerManager(controllerManagerUrl).catch((err: unknown) => {
          throw startFailure(controllerManager, err);
        });
      },

      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

interface WrittenPki {
  ca: CertificateAuthority;
  admin: KeyAndCertificate;
  controllerManager: KeyAndCertificate;
}

async function writePki(dir: string): Promise<WrittenPki> {
  const ca = await createCertificateAuthority();
  const [serving, admin, controllerManager, serviceAccount] = await Promise.all([
    createServingCertificate(ca),
    createClientCertificate(ca, ADMIN_USER, [MASTERS]),
    createClientCertificate(ca, CONTROLLER_MANAGER_USER, [MASTERS]),
    createServiceAccountSigningKey(),
  ]);
  const files: Record<string, string> = {
    "ca.crt": ca.certPem,
    "apiserver.crt": serving.certPem,
    "apiserver.key": serving.keyPem,
    "service-account.pub": serviceAccount.publicKeyPem,
    "service-account.key": serviceAccount.privateKeyPem,
  };
  await Promise.all(Object.entries(files).map(([name, pem]) => writeFile(path.join(dir, name), pem, { mode: 0o600 })));
  return { ca, admin, controllerManager };
}

function etcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    "--name=default",
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Durability is worthless for a throwaway cluster and fsync dominates write latency.
    "--unsafe-no-fsync",
    // A single member elects itself; the default 1s election timeout would only delay that.
    "--heartbeat-interval=10",
    "--election-timeout=50",
    "--log-level=warn",
  ];
}

function apiserverArgs(o: { port: number; etcdUrl: string; pkiDir: string }): string[] {
  const pki = (name: string) => path.join(o.pkiDir, name);
  return [
    "--advertise-address=127.0.0.1",
    "--bind-address=127.0.0.1",
    `--secure-port=${o.port}`,
    `--etcd-servers=${o.etcdUrl}`,
    `--cert-dir=${o.pkiDir}`,
    `--tls-cert-file=${pki("apiserver.crt")}`,
    `--tls-private-key-file=${pki("apiserver.key")}`,
    `--client-ca-file=${pki("ca.crt")}`,
    "--authorization-mode=RBAC",
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki("service-account.pub")}`,
    `--service-account-signing-key-file=${pki("service-account.key")}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    // The loopback address cannot be an Endpoints address; reconciling it only logs errors.
    "--endpoint-reconciler-type=none",
    // Open watches would otherwise hold a graceful shutdown for the whole 60s request
    // timeout; this bounds the final connection drain at 2s, keeping restarts quick.
    "--shutdown-send-retry-after=true",
  ];
}

function controllerManagerArgs(o: { port: number; kubeconfig: string; controllers: string[] }): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    `--controllers=${o.controllers.join(",")}`,
    "--leader-elect=false",
    "--use-service-account-credentials=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${o.port}`,
  ];
}

/**
 * Starts `proc` on OS-chosen ports and waits until it is ready. Between choosing a port and
 * the child binding it another process may take it; that case is retried with new ports.
 */
async function startOnFreePorts(
  proc: ManagedProcess,
  listen: { ports: number; scheme: "http" | "https" },
  args: (ports: number[]) => string[],
  waitReady: (url: string) => Promise<unknown>,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freeLoopbackPorts(listen.ports);
    const url = `${listen.scheme}://127.0.0.1:${ports[0]}`;
    proc.setArgs(args(ports));
    proc.start();
    try {
      await waitReady(url);
      return url;
    } catch (err) {
      await proc.stop();
      if (attempt < PORT_ATTEMPTS && /address already in use/i.test(proc.tail(50))) continue;
      throw startFailure(proc, err);
    }
  }
}

function exitedMessage(proc: ManagedProcess): () => string | undefined {
  return () => (proc.exited ? proc.describeExit() : undefined);
}

async function waitForApiserverReady(
  server: string,
  tls: { ca: string; cert: string; key: string },
  proc: ManagedProcess,
  timeoutMs: number,
): Promise<void> {
  const abortIf = exitedMessage(proc);
  // /readyz covers etcd and the post-start hooks (RBAC bootstrap roles among them); the
  // default namespace is created by a controller afterwards, and tests expect it.
  const mustExist = [
    "/readyz",
    "/api/v1/namespaces/default",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin",
  ];
  for (const urlPath of mustExist) {
    await waitFor(
      async () => {
        const result = await probe(`${server}${urlPath}`, tls);
        if (result.status === 200) return true;
        throw new Error(`GET ${urlPath}: HTTP ${result.status} ${result.body.slice(0, 300)}`);
      },
      { timeoutMs, description: `kube-apiserver ${urlPath}`, abortIf },
    );
  }
}

function startFailure(proc: ManagedProcess, err: unknown): HarnessError {
  const reason = err instanceof Error ? err.message : String(err);
  return new HarnessError(
    `${proc.name} did not become ready: ${reason}\n--- last lines of the ${proc.name} log ---\n${proc.tail(20)}`,
    { cause: err },
  );
}
