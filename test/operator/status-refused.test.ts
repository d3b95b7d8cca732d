// A status write the apiserver refuses is made visible: here an administrator's
// ValidatingAdmissionPolicy refuses every status write of AccessPolicies in one namespace.
// The operator cannot report that on the object, so it records one Warning Event naming
// the apiserver's words, counts the failures in a metric, retries with backoff rather than
// in a hot loop, and writes the status once the refusal is lifted.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import { collectionPath, resources, type ResourceType } from "../../operator/runtime/resources.js";
import { STATUS_NOT_WRITTEN } from "../../operator/runtime/status-writer.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, eventsFor, hasCondition, uniqueName, waitForEvent, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const API_VERSION = "security.nexus.io/v1alpha1";
const admissionPolicy: ResourceType = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", plural: "validatingadmissionpolicies", namespaced: false };
const admissionBinding: ResourceType = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", plural: "validatingadmissionpolicybindings", namespaced: false };
const REFUSAL = "status of access policies is frozen here by the cluster administrator";

async function statusFailures(running: TestOperator, reason: string): Promise<number> {
  const metric = await running.operator.metrics.statusWriteFailures.get();
  return metric.values.filter((v) => v.labels.kind === "AccessPolicy" && v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}

describe("a status write the apiserver refuses", () => {
  let client: KubeClient;
  let running: TestOperator | undefined;
  const ns = uniqueName("status-refused");
  const freeze = uniqueName("freeze-status");

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
    await client.createRaw(collectionPath(admissionPolicy), {
      apiVersion: admissionPolicy.apiVersion,
      kind: admissionPolicy.kind,
      metadata: { name: freeze },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [{ apiGroups: ["security.nexus.io"], apiVersions: ["v1alpha1"], operations: ["CREATE", "UPDATE"], resources: ["accesspolicies/status"] }],
        },
        validations: [{ expression: "false", message: REFUSAL, reason: "Invalid" }],
      },
    });
    await client.createRaw(collectionPath(admissionBinding), {
      apiVersion: admissionBinding.apiVersion,
      kind: admissionBinding.kind,
      metadata: { name: freeze },
      spec: { policyName: freeze, validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } } },
    });
    await client.create({ apiVersion: API_VERSION, kind: "EngineIdentity", metadata: { name: "api", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "api" } } } });
    await client.create({ apiVersion: API_VERSION, kind: "EngineIdentity", metadata: { name: "caller", namespace: ns }, spec: {} });
    await client.create({ apiVersion: API_VERSION, kind: "AccessPolicy", metadata: { name: "frozen", namespace: ns }, spec: { targetIdentity: "api", rules: [{ from: [{ identity: { name: "caller" } }] }] } });
    // The apiserver loads admission policies in the background: wait until it enforces this one.
    await waitFor(
      async () => {
        try {
          await client.mergePatch(resources.accessPolicy, "frozen", ns, { status: { observedGeneration: 0 } }, "test", "status");
          return undefined;
        } catch (err) {
          return (err as Error).message.includes(REFUSAL) ? true : undefined;
        }
      },
      { timeoutMs: 30_000, description: "the admission policy refusing status writes" },
    );
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    if (client) {
      await client.delete(admissionBinding, freeze);
      await client.delete(admissionPolicy, freeze);
      await deleteNamespace(client, ns);
    }
  });

  it("is one Warning Event with the apiserver's words and a counted failure, retried with backoff, and written once allowed", async () => {
    running = await startTestOperator(inject("kubeconfig"));
    const event = await waitForEvent(client, ns, "frozen", STATUS_NOT_WRITTEN);
    expect(event.type).toBe("Warning");
    expect(event.message).toContain("(Rejected)");
    expect(event.message).toContain(REFUSAL);

    // The rendered objects are written all the same: only the status is refused.
    await waitForObject(client, resources.authorizationPolicy, "nexus-frozen", ns, () => true, "the rendered AuthorizationPolicy");
    const operator = running;
    await waitFor(async () => ((await statusFailures(operator, "Rejected")) >= 3 ? true : undefined), {
      timeoutMs: 30_000,
      description: "three refused status writes (the first and two retries)",
    });
    // Backoff, not a hot loop: from the third to the eighth refusal the delays add up to more
    // than a second (10 ms doubling, at least half of each); a hot loop takes milliseconds.
    const thirdAt = Date.now();
    await waitFor(async () => ((await statusFailures(operator, "Rejected")) >= 8 ? true : undefined), { timeoutMs: 60_000, description: "eight refused status writes" });
    expect(Date.now() - thirdAt).toBeGreaterThanOrEqual(1_000);
    // Retries do not repeat the Warning.
    const warnings = (await eventsFor(client, ns, "frozen")).filter((e) => e.reason === STATUS_NOT_WRITTEN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.count ?? 1).toBe(1);

    // Lifted: a later retry writes the status.
    await client.delete(admissionBinding, freeze);
    await waitForObject(client, resources.accessPolicy, "frozen", ns, (o) => hasCondition(o, "Ready", "True"), "status written after the refusal is lifted", 120_000);
  }, 180_000);
});
