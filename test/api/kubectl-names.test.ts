// What a person types and reads with kubectl, in a cluster that has Istio's CRDs as every
// cluster running this product does: Istio registers the short name `ap` for its
// AuthorizationPolicy, so AccessPolicy answers to `nap`; certificate times are printed as
// timestamps (a date column prints a future time as <invalid>).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { kubectl, kubectlBinary, KUBECTL_BUILD_TIMEOUT_MS } from "../support/kubectl.js";

describe("kubectl with Istio's CRDs installed", () => {
  let client: KubeClient;
  let kubeconfig: string;
  const ns = uniqueName("names");
  const notAfter = new Date(Date.now() + 20 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const renewal = new Date(Date.now() + 12 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

  beforeAll(async () => {
    await kubectlBinary();
    kubeconfig = inject("kubeconfig");
    client = adminClient(kubeconfig);
    await createNamespace(client, ns);
    const identity = await client.create({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "EngineIdentity",
      metadata: { name: "ledger", namespace: ns },
      spec: { workloadSelector: { matchLabels: { app: "ledger" } } },
    });
    // The status the operator would write for an issued certificate, with times in the future.
    await client.mergePatch(resources.engineIdentity, "ledger", ns, { status: { certificate: { name: "ledger-svid", secretName: "ledger-svid", notAfter, renewalTime: renewal } } }, "test", "status");
    expect(identity.metadata.name).toBe("ledger");
    await client.create({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: ns },
      spec: { targetIdentity: "ledger", rules: [{ from: [{ namespace: ns }] }] },
    });
    await client.create({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "istio-own", namespace: ns }, spec: {} });
  }, KUBECTL_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (client) await deleteNamespace(client, ns);
  });

  it("resolves `kubectl get nap` to AccessPolicy, while `ap` stays Istio's AuthorizationPolicy", async () => {
    const nap = await kubectl(kubeconfig, ["get", "nap", "-n", ns, "-o", "jsonpath={range .items[*]}{.kind}/{.metadata.name}{\"\\n\"}{end}"]);
    expect(nap.stderr).toBe("");
    expect(nap.stdout.trim().split("\n")).toEqual(["AccessPolicy/ledger-callers"]);
    const ap = await kubectl(kubeconfig, ["get", "ap", "-n", ns, "-o", "jsonpath={range .items[*]}{.kind}/{.metadata.name}{\"\\n\"}{end}"]);
    expect(ap.stdout.trim().split("\n")).toEqual(["AuthorizationPolicy/istio-own"]);
  });

  it("resolves `kubectl get eid` to EngineIdentity and `kubectl get nexus` to both kinds", async () => {
    const eid = await kubectl(kubeconfig, ["get", "eid", "-n", ns, "-o", "name"]);
    expect(eid.stdout.trim()).toBe("engineidentity.security.nexus.io/ledger");
    const both = await kubectl(kubeconfig, ["get", "nexus", "-n", ns, "-o", "name"]);
    expect(both.stdout.trim().split("\n").sort()).toEqual(["accesspolicy.security.nexus.io/ledger-callers", "engineidentity.security.nexus.io/ledger"]);
  });

  it("prints the certificate's expiry as a timestamp, not <invalid>, and its renewal time with -o wide", async () => {
    const table = await kubectl(kubeconfig, ["get", "eid", "ledger", "-n", ns]);
    expect(table.stdout).not.toContain("<invalid>");
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+SPIFFE ID\s+TENANT\s+READY\s+EXPIRES\s+AGE/);
    expect(table.stdout).toContain(notAfter);
    const wide = await kubectl(kubeconfig, ["get", "eid", "ledger", "-n", ns, "-o", "wide"]);
    expect(wide.stdout.split("\n")[0]).toMatch(/EXPIRES\s+RENEWS\s+AGE/);
    expect(wide.stdout).toContain(renewal);
  });
});
