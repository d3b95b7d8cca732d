// The Argo CD health check (hack/argocd/nexus-health.lua), run by the real lua5.4 on status
// objects the operator wrote into the test cluster: Progressing while observedGeneration
// lags, Healthy on Ready=True, Degraded on Ready=False
// with the operator's message.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { adminClient, conditionOf, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { argoHealth, ensureLua } from "./support/lua-health.js";

const API = "security.nexus.io/v1alpha1";

describe("Argo CD health check of EngineIdentity and AccessPolicy", () => {
  let client: KubeClient;
  let running: TestOperator | undefined;
  const ns = uniqueName("argo");

  beforeAll(async () => {
    await ensureLua();
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
    running = await startTestOperator(inject("kubeconfig"));
  });

  afterAll(async () => {
    await running?.stop();
    await deleteNamespace(client, ns).catch(() => {});
  });

  it("is Healthy for an identity the operator reports Ready, with its message", async () => {
    await client.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "ledger" } } } });
    const ready = await waitForObject<KubeObject>(client, resources.engineIdentity, "ledger", ns, (o) => hasCondition(o, "Ready", "True"), "identity Ready");
    expect(await argoHealth(ready)).toEqual({ status: "Healthy", message: conditionOf(ready, "Ready")!.message });
  });

  it("is Degraded for a policy whose target does not exist, with reason and message", async () => {
    await client.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "to-ghost", namespace: ns }, spec: { targetIdentity: "ghost", rules: [{ from: [{ namespace: "sandbox" }] }] } });
    const failing = await waitForObject<KubeObject>(client, resources.accessPolicy, "to-ghost", ns, (o) => hasCondition(o, "Ready", "False"), "policy Ready=False");
    const condition = conditionOf(failing, "Ready")!;
    expect(await argoHealth(failing)).toEqual({ status: "Degraded", message: `${condition.reason}: ${condition.message}` });
    expect(condition.message).toContain("ghost");
  });

  it("is Degraded for an identity whose certificate issuer does not exist", async () => {
    await client.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "no-issuer", namespace: ns }, spec: { certificate: { issuerRef: { name: "missing-ca", kind: "Issuer" } } } });
    const failing = await waitForObject<KubeObject>(client, resources.engineIdentity, "no-issuer", ns, (o) => hasCondition(o, "Ready", "False"), "identity Ready=False");
    const condition = conditionOf(failing, "Ready")!;
    const health = await argoHealth(failing);
    expect(health).toEqual({ status: "Degraded", message: `${condition.reason}: ${condition.message}` });
    expect(health.message).toContain("missing-ca");
  });

  it("is Progressing while the operator has not observed the latest generation, then Healthy again", async () => {
    const healthy = await waitForObject<KubeObject>(client, resources.accessPolicy, "to-ghost", ns, (o) => hasCondition(o, "Ready", "False"), "policy reported");
    await running!.stop();
    running = undefined;
    await client.mergePatch(resources.accessPolicy, "to-ghost", ns, { spec: { targetIdentity: "ledger" } }, "argocd-health-test");
    const lagging = await client.get<KubeObject>(resources.accessPolicy, "to-ghost", ns);
    expect(lagging.metadata.generation).toBe((healthy.metadata.generation ?? 0) + 1);
    expect((lagging.status as { observedGeneration: number }).observedGeneration).toBe(healthy.metadata.generation);
    const health = await argoHealth(lagging);
    expect(health.status).toBe("Progressing");
    expect(health.message).toContain(`generation ${lagging.metadata.generation}`);

    running = await startTestOperator(inject("kubeconfig"));
    const caughtUp = await waitForObject<KubeObject>(client, resources.accessPolicy, "to-ghost", ns, (o) => hasCondition(o, "Ready", "True"), "policy Ready after the operator caught up");
    expect((await argoHealth(caughtUp)).status).toBe("Healthy");
  });

  it("is Progressing for an object the operator has not reported on at all", async () => {
    await running!.stop();
    running = undefined;
    const fresh = await client.create<KubeObject>({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "unseen", namespace: ns }, spec: {} });
    expect(fresh.status).toBeUndefined();
    expect(await argoHealth(fresh)).toEqual({ status: "Progressing", message: "waiting for the NEXUS operator to report status" });
  });
});
