// etcd restarted while the operator is writing, and the apiserver restarted while the
// operator is cut off from it (its watches broken, its resourceVersions expired): no update
// is lost. Edits made while the operator could not see them are rendered afterwards.
// Runs on a control plane of its own, since it restarts etcd and the apiserver.
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPool } from "../../bench/pool.js";
import { buildWorkload } from "../../bench/workload.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { repoRoot } from "../controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.js";
import { applyManifests, findYamlFiles, readYamlFiles } from "../controlplane/crds.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { rawRequest } from "../controlplane/raw-request.js";
import { thirdPartyCrdFiles } from "../controlplane/third-party-crds.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { convergence, describeProgress, principalsOf } from "./convergence.js";

const SIZE = 100;

describe("etcd and apiserver restarts", () => {
  let controlPlane: ControlPlane;
  let client: KubeClient;
  let proxy: TcpProxy;
  let running: TestOperator;
  const adminConfig = new KubeConfig();
  const workload = buildWorkload({ size: SIZE, perNamespace: 50, namespacesPerTenant: 2, namespacePrefix: "rel-restart" });

  const waitConverged = (description: string, extra: () => Promise<boolean> = async () => true) =>
    waitFor(async () => {
      const report = await convergence(client, workload.namespaces);
      if (report.problems.length > 0) throw new Error(describeProgress(report));
      return (await extra()) ? report : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250, description });

  const patches = () => running.requests.get("PATCH") ?? 0;
  const failedReconciles = () => running.logLines.filter((l) => l.includes("reconcile failed")).length;

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    const crds = [...(await findYamlFiles(path.join(repoRoot, "crds"))), ...((await thirdPartyCrdFiles()) ?? [])];
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(crds));
    client = adminClient(controlPlane.kubeconfigPath);
    adminConfig.loadFromFile(controlPlane.kubeconfigPath);
    proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(controlPlane.server).port) });
    const viaProxy = credentialsFor({ ...controlPlane.connection, server: `https://127.0.0.1:${proxy.port}` });
    running = await startTestOperator(await viaProxy.mintUserKubeconfig("nexus-operator-restarts", ["system:masters"]), { logLevel: "info" });
    for (const ns of workload.namespaces) await createNamespace(client, ns, { "security.nexus.io/tenant": workload.namespaceTenants.get(ns)! });
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
    await proxy?.close();
    client?.close();
    await controlPlane?.stop();
  });

  it("loses no write when etcd restarts while the operator is writing", async () => {
    await runPool(workload.identities, 8, (o) => client.create(o as unknown as KubeObject));
    await runPool(workload.policies, 8, (o) => client.create(o as unknown as KubeObject));
    // Edits accepted just before the outage: whether the operator saw them before etcd went
    // away or not, they must end up rendered.
    const edited = workload.policies.slice(0, 10);
    for (const p of edited) {
      await client.mergePatch(resources.accessPolicy, p.metadata.name, p.metadata.namespace, { metadata: { labels: { edited: "before-etcd-restart" } }, spec: { dryRun: true } }, "rel-test");
    }
    await waitFor(async () => (patches() >= 40 ? true : undefined), { timeoutMs: 30_000, description: "the operator to be writing" });
    const patchesAtRestart = patches();
    const restartStarted = performance.now();
    // etcd stays down until the apiserver reports it gone, so the outage is a real one.
    await controlPlane.restartEtcd(async () => {
      await waitFor(async () => ((await rawRequest(adminConfig, "GET", "/readyz/etcd")).status !== 200 ? true : undefined), { timeoutMs: 30_000, description: "the apiserver to report etcd down" });
    });
    const etcdBackSeconds = (performance.now() - restartStarted) / 1000;
    const report = await waitConverged("convergence after the etcd restart", async () => {
      for (const p of edited) {
        const ap = await client.get(resources.authorizationPolicy, `nexus-${p.metadata.name}`, p.metadata.namespace);
        if (ap.metadata.annotations?.["istio.io/dry-run"] !== "true") return false;
      }
      return true;
    });
    const convergedSeconds = (performance.now() - restartStarted) / 1000;
    expect(patchesAtRestart).toBeLessThan(patches()); // it was still writing when etcd went away
    expect(report.readyPolicies).toBe(SIZE);
    console.log(
      `etcd restart: ${patchesAtRestart} writes before, ${patches() - patchesAtRestart} after; etcd back in ${etcdBackSeconds.toFixed(1)} s, ` +
        `all ${SIZE} + ${SIZE} converged (edits included) ${convergedSeconds.toFixed(1)} s after the restart began; ${failedReconciles()} failed reconciles retried`,
    );
  });

  it("renders edits made while it was cut off and the apiserver restarted", async () => {
    const ns = workload.namespaces[0]!;
    const renamed = workload.identities[1]!; // named by the first policy, and by its tenant's
    const oldPrincipal = `cluster.local/ns/${ns}/sa/${renamed.metadata.name}`;
    const newPrincipal = `cluster.local/ns/${ns}/sa/${renamed.metadata.name}-v2`;
    const narrowed = workload.policies[2]!;
    const before = await client.get(resources.authorizationPolicy, `nexus-${narrowed.metadata.name}`, ns);
    expect(principalsOf(before).length).toBeGreaterThan(1);
    const failedBefore = failedReconciles();

    proxy.cut();
    // A new service account for an identity (its principal changes in every policy naming
    // it) and a policy narrowed to one source: a caller removed while nobody was looking.
    await client.mergePatch(resources.engineIdentity, renamed.metadata.name, ns, { spec: { serviceAccountName: `${renamed.metadata.name}-v2` } }, "rel-test");
    const kept = narrowed.spec.rules![0]!.from![0]!;
    await client.mergePatch(resources.accessPolicy, narrowed.metadata.name, ns, { spec: { rules: [{ from: [kept] }] } }, "rel-test");
    await controlPlane.restartApiServer();
    const restoredAt = performance.now();
    proxy.restore();

    await waitConverged("the edits made while cut off to be rendered", async () => {
      const aps = (await client.list<KubeObject>(resources.authorizationPolicy, ns)).items;
      const all = aps.flatMap(principalsOf);
      const narrowedNow = aps.find((ap) => ap.metadata.name === `nexus-${narrowed.metadata.name}`);
      return !all.includes(oldPrincipal) && all.includes(newPrincipal) && narrowedNow !== undefined && principalsOf(narrowedNow).length === 1;
    });
    console.log(
      `apiserver restart while cut off: edits rendered ${((performance.now() - restoredAt) / 1000).toFixed(1)} s after the operator could reach it again; ` +
        `${failedReconciles() - failedBefore} failed reconciles retried`,
    );
  });
});
