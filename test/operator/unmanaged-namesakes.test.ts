// An object someone else made under a name the operator renders (an AuthorizationPolicy
// `nexus-<policy>`, a Certificate `<identity>-svid`) and without the operator's label. The
// operator's caches are selected by that label, and its writes are forced server-side
// applies: before, it took such an object over without a word (its spec replaced, the
// owner's work lost). Now the name is reported as taken, the object is left as it is, and the
// policy or identity is written once the object goes. An object of ours that only lost its
// label is still ours: the next write puts the label back.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { policyObjectName } from "../../operator/render/names.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../operator/render/metadata.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { adminClient, conditionOf, createNamespace, deleteNamespace, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const API = "security.nexus.io/v1alpha1";
describe("objects of others under names the operator renders", () => {
  let client: KubeClient;
  let running: TestOperator;
  const ns = uniqueName("namesakes");

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
    await client.create({ apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: { name: "self", namespace: ns }, spec: { selfSigned: {} } });
    for (const name of ["ledger", "caller"]) {
      await client.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace: ns }, spec: { workloadSelector: { matchLabels: { app: name } } } });
    }
    running = await startTestOperator(inject("kubeconfig"));
  });

  afterAll(async () => {
    await running?.stop();
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("a policy whose AuthorizationPolicy name is held by someone's own object reports NameTaken, leaves that object alone, and is written once it goes", async () => {
    const theirs = await client.create<KubeObject>({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: policyObjectName("to-ledger"), namespace: ns, labels: { team: "payments" } },
      spec: { selector: { matchLabels: { app: "ledger" } }, action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["payments"] } }] }] },
    });
    await client.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "to-ledger", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "caller" } }] }] } });

    const refused = await waitForObject(client, resources.accessPolicy, "to-ledger", ns, (o) => conditionOf(o, "Rendered")?.reason === "NameTaken", "to-ledger NameTaken");
    expect(conditionOf(refused, "Rendered")?.message).toContain(`AuthorizationPolicy ${policyObjectName("to-ledger")}`);
    expect(conditionOf(refused, "Ready")?.status).toBe("False");
    // The reconcile that reported the name decided not to write: the object is as it was.
    const after = await client.get<KubeObject>(resources.authorizationPolicy, policyObjectName("to-ledger"), ns);
    expect(after.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
    expect(after.metadata.labels?.[MANAGED_BY_LABEL]).toBeUndefined();
    expect(after.metadata.ownerReferences).toBeUndefined();

    await client.delete(resources.authorizationPolicy, policyObjectName("to-ledger"), ns);
    const ours = await waitForObject(client, resources.authorizationPolicy, policyObjectName("to-ledger"), ns, (o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE, "the policy's own AuthorizationPolicy");
    expect(ours.metadata.ownerReferences?.[0]).toMatchObject({ kind: "AccessPolicy", name: "to-ledger", controller: true });
    await waitForObject(client, resources.accessPolicy, "to-ledger", ns, (o) => conditionOf(o, "Ready")?.status === "True", "to-ledger Ready");
  });

  it("an AuthorizationPolicy of ours that lost the operator's label is still the policy's: it is written again with the label", async () => {
    await client.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "relabelled", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "caller" } }] }] } });
    const name = policyObjectName("relabelled");
    await waitForObject(client, resources.authorizationPolicy, name, ns, (o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE, "relabelled's AuthorizationPolicy");
    await client.mergePatch(resources.authorizationPolicy, name, ns, { metadata: { labels: { [MANAGED_BY_LABEL]: null } } }, "kubectl-label");
    await waitForObject(client, resources.authorizationPolicy, name, ns, (o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE, "the label put back");
    const policy = await client.get<KubeObject>(resources.accessPolicy, "relabelled", ns);
    expect(conditionOf(policy, "Rendered")?.reason).not.toBe("NameTaken");
  });

  it("an identity whose Certificate name is held by someone's own Certificate reports CertificateNameTaken, leaves it alone, and gets its own once it goes", async () => {
    const theirs = await client.create<KubeObject>({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "billing-svid", namespace: ns },
      spec: { secretName: "billing-tls", dnsNames: ["billing.example.com"], issuerRef: { name: "self", kind: "Issuer" } },
    });
    await client.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "billing", namespace: ns }, spec: { certificate: { issuerRef: { name: "self", kind: "Issuer" } } } });

    const refused = await waitForObject(client, resources.engineIdentity, "billing", ns, (o) => conditionOf(o, "CertificateReady")?.reason === "CertificateNameTaken", "billing CertificateNameTaken");
    expect(conditionOf(refused, "CertificateReady")?.message).toContain("billing-svid");
    // The reconcile that reported the name decided not to write: the object is as it was.
    const after = await client.get<KubeObject>(resources.certificate, "billing-svid", ns);
    expect(after.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
    expect(after.spec).toEqual(theirs.spec);
    expect(after.metadata.ownerReferences).toBeUndefined();

    await client.delete(resources.certificate, "billing-svid", ns);
    const ours = await waitForObject(client, resources.certificate, "billing-svid", ns, (o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE, "the identity's own Certificate");
    expect(ours.metadata.ownerReferences?.[0]).toMatchObject({ kind: "EngineIdentity", name: "billing", controller: true });
    expect((ours.spec as { secretName?: string }).secretName).toBe("billing-svid");
  });
});
