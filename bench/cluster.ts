// A fresh control plane for one benchmark phase: etcd, kube-apiserver (with the write
// audit log) and kube-controller-manager, with the NEXUS, Istio, cert-manager and Gateway API
// CRDs (hack/third-party-crds.sh: waypoints of the ambient workload are Gateways).
import { DEFAULT_TENANT_LABEL } from "../operator/policy/tenancy.js";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient, type KubeObject } from "../operator/runtime/kube-client.js";
import { applyManifests, findYamlFiles, readYamlFiles, startControlPlane, type ControlPlane } from "../test/controlplane/index.js";
import { repoRoot } from "../test/controlplane/binaries.js";
import { thirdPartyCrdFiles } from "../test/controlplane/third-party-crds.js";
import { runPool, withRetry } from "./pool.js";
import type { Workload } from "./workload.js";

export interface BenchCluster {
  controlPlane: ControlPlane;
  kubeConfig: KubeConfig;
  /** Admin client of the benchmark itself (inputs, edits, checks). */
  client: KubeClient;
  stop(): Promise<void>;
}

let crdFiles: Promise<string[]> | undefined;

async function allCrdFiles(): Promise<string[]> {
  crdFiles ??= (async () => {
    const thirdParty = await thirdPartyCrdFiles();
    if (!thirdParty) throw new Error("hack/third-party-crds.sh is missing; the benchmark needs Istio's and cert-manager's CRDs");
    return [...(await findYamlFiles(path.join(repoRoot, "crds"))), ...thirdParty];
  })();
  return crdFiles;
}

export function kubeConfigFrom(file: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  return kubeConfig;
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const controlPlane = await startControlPlane({ auditLog: true });
  try {
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(await allCrdFiles()), { timeoutMs: 60_000 });
    // The garbage collector learns about new resource types only every 30s; a restart
    // makes owner references of custom resources work at once, as in production.
    await controlPlane.restartControllerManager();
  } catch (err) {
    await controlPlane.stop();
    throw err;
  }
  const kubeConfig = kubeConfigFrom(controlPlane.kubeconfigPath);
  const client = new KubeClient(kubeConfig, { maxSockets: 64 });
  return {
    controlPlane,
    kubeConfig,
    client,
    async stop() {
      client.close();
      await controlPlane.stop();
    },
  };
}

/**
 * Creates the workload's namespaces and what a platform team sets up in them before any
 * NEXUS object: for ambient namespaces their labels, waypoint Gateway and Services. These are
 * inputs, created before any clock starts, alike for the floor and the operator.
 */
export async function createNamespaces(client: KubeClient, workload: Workload, concurrency: number): Promise<void> {
  const ambient = workload.ambient;
  await runPool(workload.namespaces, concurrency, (name) =>
    createIgnoringExisting(client, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { [DEFAULT_TENANT_LABEL]: workload.namespaceTenants.get(name)!, ...ambient?.namespaceLabels.get(name) } },
    }),
  );
  if (ambient) await runPool([...ambient.gateways, ...ambient.services], concurrency, (object) => createIgnoringExisting(client, object));
}

/** Creates the EngineIdentities, then the AccessPolicies, as a user would; returns the milliseconds taken. */
export async function createInputs(client: KubeClient, workload: Workload, concurrency: number): Promise<number> {
  const started = performance.now();
  await runPool(workload.identities, concurrency, (identity) => createIgnoringExisting(client, identity as unknown as KubeObject));
  await runPool(workload.policies, concurrency, (policy) => createIgnoringExisting(client, policy as unknown as KubeObject));
  return performance.now() - started;
}

async function createIgnoringExisting(client: KubeClient, object: KubeObject): Promise<void> {
  try {
    await withRetry(() => client.create(object));
  } catch (err) {
    // A retried create whose first attempt got through finds its own object.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}
