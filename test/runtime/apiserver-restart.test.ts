// Watches survive the apiserver going away and coming back: after a restart the operator
// notices new objects without being restarted itself, and a watch whose resourceVersion
// has expired meanwhile (410 Gone) lists again. Runs on a control plane of its own.
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SupervisedInformer } from "../../operator/runtime/informer.js";
import { KubeClient, type KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { repoRoot } from "../controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.js";
import { applyManifests, findYamlFiles, readYamlFiles } from "../controlplane/crds.js";
import { thirdPartyCrdFiles } from "../controlplane/third-party-crds.js";
import { adminClient, createNamespace, hasCondition, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

describe("apiserver restart", () => {
  let controlPlane: ControlPlane;
  let client: KubeClient;
  let running: TestOperator;

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    const crds = [...(await findYamlFiles(path.join(repoRoot, "crds"))), ...((await thirdPartyCrdFiles()) ?? [])];
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(crds));
    client = adminClient(controlPlane.kubeconfigPath);
    running = await startTestOperator(controlPlane.kubeconfigPath);
    await createNamespace(client, "team");
  });

  afterAll(async () => {
    await running?.stop();
    client?.close();
    await controlPlane?.stop();
  });

  it("keeps reconciling after the apiserver restarts mid-run", async () => {
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "before", namespace: "team" }, spec: {} });
    await waitForObject(client, resources.engineIdentity, "before", "team", (o) => hasCondition(o, "Ready", "True"), "identity Ready before the restart");
    await controlPlane.restartApiServer();
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "after", namespace: "team" }, spec: { workloadSelector: { matchLabels: { app: "after" } } } });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "after", namespace: "team" }, spec: { targetIdentity: "after", rules: [{ from: [{ identity: { name: "before" } }] }] } });
    await waitForObject(client, resources.engineIdentity, "after", "team", (o) => hasCondition(o, "Ready", "True"), "identity Ready after the restart", 60_000);
    await waitForObject(client, resources.authorizationPolicy, "nexus-after", "team", () => true, "policy rendered after the restart", 60_000);
    expect(running.operator.ready()).toBe(true);
  });

  it("repairs drift that happened while it could not watch", async () => {
    await client.delete(resources.authorizationPolicy, "nexus-after", "team");
    await waitForObject(client, resources.authorizationPolicy, "nexus-after", "team", () => true, "policy restored", 60_000);
  });

  it("lists again when its resourceVersion expired while it was cut off (410 Gone)", async () => {
    await createNamespace(client, "gone");
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(controlPlane.server).port) });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
    const viaProxy = new KubeConfig();
    viaProxy.loadFromOptions({
      clusters: kubeConfig.clusters.map((cluster) => ({ ...cluster, server: `https://127.0.0.1:${proxy.port}` })),
      users: kubeConfig.users,
      contexts: kubeConfig.contexts,
      currentContext: kubeConfig.currentContext,
    });
    let lists = 0;
    const listingClient = new KubeClient(viaProxy, { onRequest: () => lists++ });
    const informer = new SupervisedInformer<KubeObject>(listingClient, resources.serviceAccount, pino({ level: "silent" }), {
      namespace: "gone",
      minBackoffMs: 100,
      maxBackoffMs: 400,
    });
    try {
      informer.start();
      await informer.waitForSync();
      expect(lists).toBe(1);
      proxy.cut();
      await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "created-while-cut-off", namespace: "gone" } });
      // A restarted apiserver's watch cache begins after the informer's resourceVersion, so
      // resuming the watch from it is answered with 410 Gone.
      await controlPlane.restartApiServer();
      proxy.restore();
      await waitFor(async () => informer.get("created-while-cut-off", "gone"), { timeoutMs: 30_000, description: "the informer to see what was created while it was cut off" });
      expect(lists).toBeGreaterThanOrEqual(2);
    } finally {
      await informer.stop();
      listingClient.close();
      await proxy.close();
    }
  });
});
