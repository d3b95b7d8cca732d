// Runs cert-manager's real controller (built from its Go module by
// hack/build-cert-manager.sh) as a local process against a test apiserver, so
// Certificates are issued by cert-manager itself rather than by a fake.
import { constants, existsSync } from "node:fs";
import { access, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runHackScript } from "../controlplane/hack-script.js";
import { HarnessError } from "../controlplane/errors.js";
import { guardAgainstOrphans } from "../controlplane/orphan-guard.js";
import { ManagedProcess } from "../controlplane/process.js";
import { waitFor } from "../controlplane/wait.js";

/**
 * What SelfSigned and CA issuers and the whole Certificate lifecycle need: issuer
 * readiness, the certificates-* loops that turn a Certificate into a Secret, and for
 * CertificateRequests the approver (nothing is signed until a request is Approved) plus
 * the CA and SelfSigned signers. ACME, Vault, Venafi and the shims are not even linked in.
 */
export const CERT_MANAGER_CONTROLLERS = [
  "issuers",
  "clusterissuers",
  "certificates-trigger",
  "certificates-key-manager",
  "certificates-request-manager",
  "certificates-issuing",
  "certificates-readiness",
  "certificates-revision-manager",
  "certificaterequests-approver",
  "certificaterequests-issuer-ca",
  "certificaterequests-issuer-selfsigned",
] as const;

export interface CertManagerControllerOptions {
  kubeconfigPath: string;
  /** Parent folder for the log and state; a fresh folder under the OS temp dir if unset. */
  tempDir?: string;
  /**
   * Where the Secrets of ClusterIssuers live (a CA ClusterIssuer's key pair). "cert-manager",
   * as in a Helm install into that namespace and in examples/.
   */
  clusterResourceNamespace?: string;
  /** Watch only this namespace (ClusterIssuers are then ignored). All namespaces if unset. */
  namespace?: string;
  controllers?: readonly string[];
  /** klog verbosity; 2 logs every issuance step without drowning the log. */
  verbosity?: number;
  /** Deadline for the informer caches to sync. */
  startTimeoutMs?: number;
}

export interface CertManagerController {
  logPath: string;
  /** The last lines of the controller's log, for failure messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 5s; removes the folder it created. Safe to call twice. */
  stop(): Promise<void>;
}

const BINARY = "cert-manager-controller";
const DEFAULT_START_TIMEOUT_MS = 60_000;

export async function startCertManagerController(options: CertManagerControllerOptions): Promise<CertManagerController> {
  const binary = await resolveCertManagerController();
  const parent = options.tempDir ?? os.tmpdir();
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, "cert-manager-"));
  const logPath = path.join(dir, "cert-manager-controller.log");
  const readyFile = path.join(dir, "ready");

  const args = [
    `--kubeconfig=${path.resolve(options.kubeconfigPath)}`,
    `--controllers=${(options.controllers ?? CERT_MANAGER_CONTROLLERS).join(",")}`,
    `--cluster-resource-namespace=${options.clusterResourceNamespace ?? "cert-manager"}`,
    `--namespace=${options.namespace ?? ""}`,
    `--ready-file=${readyFile}`,
    `--v=${options.verbosity ?? 2}`,
  ];
  let proc: ManagedProcess | undefined;
  // Kills the controller if the test runner dies without calling stop(), SIGKILL included.
  const guard = guardAgainstOrphans(dir, () => proc?.killNow());
  proc = new ManagedProcess("cert-manager-controller", binary, args, logPath, () =>
    guard.recordPids(proc?.pid === undefined ? [] : [proc.pid]),
  );
  const controller = proc;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await controller.stop();
      guard.release();
      // A caller-provided parent keeps the log for post-mortems; our own temp dir goes.
      if (options.tempDir === undefined) await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    controller.start();
    await waitFor(async () => (existsSync(readyFile) ? true : undefined), {
      timeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      intervalMs: 100,
      description: "cert-manager controller informer caches to sync (are the cert-manager CRDs installed?)",
      abortIf: () => (controller.exited ? controller.describeExit() : undefined),
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const tail = controller.tail(20);
    await stop().catch(() => {});
    throw new HarnessError(`cert-manager controller did not start: ${reason}\n--- last lines of ${logPath} ---\n${tail}`, {
      cause: err,
    });
  }

  return { logPath, tail: (lines) => controller.tail(lines), stop };
}

/**
 * The controller binary: $CERT_MANAGER_CONTROLLER (a file) if set, so CI can bring a
 * prebuilt one; otherwise what hack/build-cert-manager.sh builds or finds in its cache.
 */
export async function resolveCertManagerController(): Promise<string> {
  const given = process.env.CERT_MANAGER_CONTROLLER;
  const binary = given ? path.resolve(given) : path.join(await buildCertManager(), BINARY);
  try {
    await access(binary, constants.X_OK);
  } catch {
    const source = given ? "CERT_MANAGER_CONTROLLER" : "hack/build-cert-manager.sh output";
    throw new HarnessError(`${source}: ${binary} is not an executable file; unset CERT_MANAGER_CONTROLLER to build it`);
  }
  return binary;
}

/** Builds (or finds cached) the controller; the script's last line is its folder. */
async function buildCertManager(): Promise<string> {
  return (await runHackScript("build-cert-manager.sh", "cert-manager controller unavailable")).at(-1) as string;
}
