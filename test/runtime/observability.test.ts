// The probes and metrics a platform team wires into kubelet and Prometheus, served by the
// operator's own HTTP server while it reconciles against the real apiserver.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startHttpServer } from "../../operator/http-server.js";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { adminClient, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

describe("probes and metrics", () => {
  let client: KubeClient;
  let running: TestOperator;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  const ns = uniqueName("obs");
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
    running = await startTestOperator(inject("kubeconfig"));
    server = await startHttpServer({ host: "127.0.0.1", port: 0, ready: () => running.operator.ready(), registry: running.operator.metrics.registry });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "ledger" } } } });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "callers", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "ghost" } }] }] } });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "self", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "ledger" } }] }] } });
    await waitForObject(client, resources.accessPolicy, "callers", ns, (o) => hasCondition(o, "Rendered", "True"), "policy rendered");
    await waitForObject(client, resources.accessPolicy, "self", ns, (o) => hasCondition(o, "Rendered", "True"), "policy rendered");
  });

  afterAll(async () => {
    server?.server.close();
    await running?.stop();
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("answers /healthz, and /readyz once the caches are synced", async () => {
    expect(await get("/healthz")).toEqual({ status: 200, text: "ok" });
    expect(await get("/readyz")).toEqual({ status: 200, text: "ok" });
    expect((await get("/nothing")).status).toBe(404);
  });

  it("exports controller-runtime's metric names and the NEXUS gauges", async () => {
    const { status, text } = await get("/metrics");
    expect(status).toBe(200);
    for (const name of [
      'controller_runtime_reconcile_total{controller="accesspolicy",result="success"}',
      "controller_runtime_reconcile_errors_total",
      'controller_runtime_reconcile_time_seconds_bucket{le="0.001",controller="engineidentity"}',
      'workqueue_depth{name="accesspolicy"}',
      'workqueue_adds_total{name="engineidentity"}',
      "workqueue_retries_total",
      'workqueue_queue_duration_seconds_bucket{le="0.001",name="namespace-baseline"}',
      `nexus_policy_unresolved_sources{namespace="${ns}",name="callers"} 1`,
      "nexus_identity_certificate_expiry_timestamp_seconds",
      'nexus_rendered_objects{kind="AuthorizationPolicy"}',
      "nexus_events_dropped_total 0",
    ]) {
      expect(text).toContain(name);
    }
    // A policy with every source resolved has no series, rather than a zero.
    expect(text).not.toContain(`nexus_policy_unresolved_sources{namespace="${ns}",name="self"}`);
  });
});
