// With cert-manager's and Istio's CRDs absent, the affected objects say so in a condition
// and an Event, the log says it once rather than in a loop, everything else keeps working,
// and the operator recovers by itself when the CRDs appear. Runs on a control plane of its
// own, since the shared one has every CRD installed.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { repoRoot } from "../controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.js";
import { applyManifests, findYamlFiles, readYamlFiles } from "../controlplane/crds.js";
import { thirdPartyCrdFiles } from "../controlplane/third-party-crds.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, conditionOf, createNamespace, hasCondition, waitForEvent, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { DEFAULT_DENY_NAME } from "../../operator/render/names.js";

describe("missing cert-manager and Istio", () => {
  let controlPlane: ControlPlane;
  let client: KubeClient;
  let running: TestOperator;
  const ns = "team";

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(await findYamlFiles(path.join(repoRoot, "crds"))));
    client = adminClient(controlPlane.kubeconfigPath);
    running = await startTestOperator(controlPlane.kubeconfigPath);
    await createNamespace(client, ns);
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "ledger" } }, certificate: {} } });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "checkout", namespace: ns }, spec: {} });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "ledger-callers", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "checkout" } }] }] } });
  });

  afterAll(async () => {
    await running?.stop();
    client?.close();
    await controlPlane?.stop();
  });

  it("reports cert-manager missing on identities that want a certificate, with an Event", async () => {
    const ledger = await waitForObject(client, resources.engineIdentity, "ledger", ns, (o) => hasCondition(o, "CertificateReady", "False", "CertManagerNotInstalled"), "CertManagerNotInstalled");
    expect(conditionOf(ledger, "CertificateReady")?.message).toContain("certificates.cert-manager.io");
    expect(conditionOf(ledger, "Ready")?.status).toBe("False");
    await waitForEvent(client, ns, "ledger", "CertManagerNotInstalled");
  });

  it("reports Istio missing on policies, with an Event", async () => {
    const policy = await waitForObject(client, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Rendered", "False", "IstioNotInstalled"), "IstioNotInstalled");
    expect(conditionOf(policy, "Ready")?.status).toBe("False");
    await waitForEvent(client, ns, "ledger-callers", "IstioNotInstalled");
  });

  it("keeps serving what does not depend on them", async () => {
    await waitForObject(client, resources.engineIdentity, "checkout", ns, (o) => hasCondition(o, "Ready", "True"), "mesh-only identity Ready");
    await waitForObject(client, resources.serviceAccount, "ledger", ns, () => true, "ServiceAccount of the identity that waits for cert-manager");
  });

  it("logs each missing kind once, not in a loop", async () => {
    // Long enough for several retries of the watches at their backoff.
    await waitFor(async () => (running.logLines.length > 0 ? true : undefined), { timeoutMs: 5_000, description: "log lines" });
    const failures = running.logLines.filter((line) => line.includes("watch failed"));
    const perKind = new Map<string, number>();
    for (const line of failures) {
      const kind = (JSON.parse(line) as { kind: string }).kind;
      perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    }
    expect(perKind.get("Certificate")).toBe(1);
    expect(perKind.get("AuthorizationPolicy")).toBe(1);
    expect(running.logLines.some((line) => line.includes("    at "))).toBe(false);
  });

  it("recovers by itself once the CRDs are installed", async () => {
    const files = await thirdPartyCrdFiles();
    if (!files) throw new Error("hack/third-party-crds.sh gave no CRD files");
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(files));
    // With cert-manager present the next problem is the missing default issuer: recovered.
    await waitForObject(client, resources.engineIdentity, "ledger", ns, (o) => hasCondition(o, "CertificateReady", "False", "IssuerNotFound"), "cert-manager seen", 60_000);
    await waitForObject(client, resources.certificate, "ledger-svid", ns, () => true, "Certificate created", 60_000);
    await waitForObject(client, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Rendered", "True"), "policy rendered", 60_000);
    await waitForObject(client, resources.authorizationPolicy, "nexus-ledger-callers", ns, () => true, "AuthorizationPolicy", 60_000);
    await waitForObject(client, resources.authorizationPolicy, DEFAULT_DENY_NAME, ns, () => true, "baseline", 60_000);
  });
});
