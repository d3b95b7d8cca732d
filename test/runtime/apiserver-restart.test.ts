// Watches survive the apiserver going away and coming back: after a restart the operator
// notices new objects without being restarted itself. Runs on a control plane of its own.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
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
});
