// Regression tests of the security review's findings 6 and 7 (issue 22): rendered names that
// collided with the namespace baseline. With every operator suffix starting with a dot
// (render/names.ts) an EngineIdentity named `strict` and an AccessPolicy named
// `default-deny` render objects of their own, and the baseline stays the baseline.
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEFAULT_DENY_NAME, policyObjectName, STRICT_MTLS_NAME, workloadMtlsName } from "../../operator/render/names.js";
import { BASELINE_LABEL, POLICY_LABEL } from "../../operator/render/metadata.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { ResourceWatch } from "../../bench/watch.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const WINDOW_MS = 5_000;

function identity(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace }, spec };
}

function policy(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name, namespace }, spec };
}

const modeOf = (o: KubeObject) => (o.spec as { mtls?: { mode?: string } }).mtls?.mode;

describe("rendered names never collide with the namespace baseline", () => {
  let client: KubeClient;
  let running: TestOperator;
  const strictNs = uniqueName("names-strict");
  const denyNs = uniqueName("names-deny");

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, strictNs);
    await createNamespace(client, denyNs);
    running = await startTestOperator(inject("kubeconfig"));
  });

  afterAll(async () => {
    await running?.stop();
    await deleteNamespace(client, strictNs);
    await deleteNamespace(client, denyNs);
    client?.close();
  });

  it("finding 6: an EngineIdentity named strict gets its own PERMISSIVE PeerAuthentication beside the STRICT baseline, and nothing is rewritten in a loop", async () => {
    await client.create(identity(strictNs, "strict", { workloadSelector: { matchLabels: { app: "strict" } } }));
    await client.create(identity(strictNs, "caller", {}));
    await client.create(policy(strictNs, "to-strict", { targetIdentity: "strict", mtls: "Permissive", rules: [{ from: [{ identity: { name: "caller" } }] }] }));
    const workload = await waitForObject(client, resources.peerAuthentication, workloadMtlsName("strict"), strictNs, (o) => modeOf(o) === "PERMISSIVE", "workload PeerAuthentication of strict");
    const baseline = await waitForObject(client, resources.peerAuthentication, STRICT_MTLS_NAME, strictNs, (o) => modeOf(o) === "STRICT", "STRICT baseline");
    expect(workload.metadata.name).not.toBe(baseline.metadata.name);
    expect(baseline.metadata.labels?.[BASELINE_LABEL]).toBe("true");
    expect((baseline.spec as { selector?: unknown }).selector).toBeUndefined();

    // Count every write of a PeerAuthentication in the namespace over a window once settled:
    // the fight of the old names rewrote the shared object about 150 times a second.
    const adminConfig = new KubeConfig();
    adminConfig.loadFromFile(inject("kubeconfig"));
    let writes = 0;
    const watch = new ResourceWatch(adminConfig, client, resources.peerAuthentication, (type, object) => {
      if (object.metadata.namespace === strictNs) writes++;
    }, { skipInitialList: true });
    await watch.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    } finally {
      watch.stop();
    }
    expect(writes).toBeLessThanOrEqual(1);
    const after = await client.list<KubeObject>(resources.peerAuthentication, strictNs);
    expect(after.items.map((o) => [o.metadata.name, modeOf(o), o.metadata.resourceVersion]).sort()).toEqual(
      [
        [workload.metadata.name, "PERMISSIVE", workload.metadata.resourceVersion],
        [baseline.metadata.name, "STRICT", baseline.metadata.resourceVersion],
      ].sort(),
    );
  });

  it("finding 7: an AccessPolicy named default-deny renders its own object and leaves the baseline (allow-nothing and STRICT) in place", async () => {
    await client.create(identity(denyNs, "ledger", { workloadSelector: { matchLabels: { app: "ledger" } } }));
    await client.create(identity(denyNs, "caller", {}));
    await client.create(policy(denyNs, "default-deny", { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "caller" } }] }] }));
    const own = await waitForObject(client, resources.authorizationPolicy, policyObjectName("default-deny"), denyNs, (o) => o.metadata.labels?.[POLICY_LABEL] === "default-deny", "the policy's own AuthorizationPolicy");
    const baseline = await waitForObject(client, resources.authorizationPolicy, DEFAULT_DENY_NAME, denyNs, () => true, "default-deny baseline");
    expect(own.metadata.name).not.toBe(baseline.metadata.name);
    expect(baseline.metadata.labels?.[BASELINE_LABEL]).toBe("true");
    expect(baseline.metadata.labels?.[POLICY_LABEL]).toBeUndefined();
    // Allow-nothing on every data plane: no selector, ALLOW, and no rule a caller can meet.
    expect((baseline.spec as { selector?: unknown }).selector).toBeUndefined();
    expect((baseline.spec as { action?: string }).action ?? "ALLOW").toBe("ALLOW");
    await waitForObject(client, resources.peerAuthentication, STRICT_MTLS_NAME, denyNs, (o) => modeOf(o) === "STRICT", "STRICT baseline");
    await waitFor(
      async () => {
        const ap = await client.get<KubeObject>(resources.accessPolicy, "default-deny", denyNs);
        return hasCondition(ap, "Ready", "True") ? ap : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: "policy default-deny Ready (no NameTaken)" },
    );
  });
});
