// The chart's ValidatingAdmissionPolicy for EngineIdentities, installed as rendered into the
// real apiserver: a tenant claim its namespace's label does not back, and a certificate
// request beyond the administrators' limits, are refused at admission with a message naming
// the field; what is allowed passes (failurePolicy Fail: an expression that failed to
// evaluate would refuse those too). (The operator re-checks all of it without admission:
// test/operator/tenancy-and-certificates.test.ts.) The binding is kept to this suite's
// namespaces by the chart's admission.namespaceSelector, so other suites are not affected.
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import type { ResourceType } from "../../operator/runtime/resources.js";
import { serverSideApply } from "../controlplane/server-side-apply.js";
import { waitFor } from "../controlplane/wait.js";
import { helmBinary, HELM_BUILD_TIMEOUT_MS, renderChart } from "../support/helm.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { resources } from "../../operator/runtime/resources.js";

const API = "security.nexus.io/v1alpha1";
const TENANT_LABEL = "security.nexus.io/tenant";
const policyType: ResourceType = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", plural: "validatingadmissionpolicies", namespaced: false };
const bindingType: ResourceType = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", plural: "validatingadmissionpolicybindings", namespaced: false };

describe("admission: the chart's ValidatingAdmissionPolicy for EngineIdentities", () => {
  let admin: KubeClient;
  let rendered: KubernetesObject[];
  const run = uniqueName("adm");
  const release = `nexus-${run}`;
  const tenantNs = uniqueName("adm-acme");
  const plainNs = uniqueName("adm-plain");
  const tenant = uniqueName("acme");

  /** Creates the identity; undefined when admitted (and then deleted again), else the apiserver's message. */
  async function refusal(namespace: string, spec: Record<string, unknown>): Promise<string | undefined> {
    const name = uniqueName("eid");
    try {
      await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace }, spec });
    } catch (err) {
      return (err as Error).message;
    }
    await admin.delete(resources.engineIdentity, name, namespace);
    return undefined;
  }

  beforeAll(async () => {
    await helmBinary();
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    const adminConfig = new KubeConfig();
    adminConfig.loadFromFile(kubeconfig);
    for (const [ns, labels] of [
      [tenantNs, { [TENANT_LABEL]: tenant, "nexus-test/admission": run }],
      [plainNs, { "nexus-test/admission": run }],
    ] as const) {
      await createNamespace(admin, ns, labels);
    }
    rendered = await renderChart({
      release,
      values: {
        operator: { certificates: { allowedClusterIssuers: [], allowedDnsSuffixes: ["{namespace}.apps.example.com"], clusterDomain: "cluster.local", maxDurationHours: 168 } },
        admission: { enabled: true, validationActions: ["Deny"], namespaceSelector: { matchLabels: { "nexus-test/admission": run } } },
      },
      showOnly: ["templates/admission.yaml"],
    });
    expect(rendered.map((o) => o.kind).sort()).toEqual(["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]);
    await serverSideApply(adminConfig, rendered);
    // The apiserver compiles and loads a new policy in the background: wait until it refuses.
    await waitFor(async () => ((await refusal(plainNs, { tenant })) ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, description: "the admission policy to be in force" });
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (admin) {
      for (const object of rendered ?? []) await admin.delete(object.kind === "ValidatingAdmissionPolicy" ? policyType : bindingType, object.metadata!.name!).catch(() => {});
      await deleteNamespace(admin, tenantNs);
      await deleteNamespace(admin, plainNs);
    }
    admin?.close();
  });

  it.each<[string, string, Record<string, unknown>, RegExp]>([
    ["a tenant claim in a namespace of no tenant", "plain", { tenant: "acme" }, /spec\.tenant claims tenant acme, but namespace adm-plain-\w+ belongs to no tenant/],
    ["a claim of another tenant than the namespace's", "tenant", { tenant: "globex" }, /spec\.tenant claims tenant globex, but namespace adm-acme-\w+ belongs to tenant acme-/],
    ["another namespace's services", "plain", { certificate: { dnsNames: ["*.payments.svc.cluster.local"] } }, /spec\.certificate\.dnsNames has \*\.payments\.svc\.cluster\.local, which is not a name of namespace/],
    ["the apiserver's name", "plain", { certificate: { dnsNames: ["kubernetes.default.svc"] } }, /spec\.certificate\.dnsNames has kubernetes\.default\.svc/],
    ["an external hostname", "plain", { certificate: { dnsNames: ["ledger.ns.svc", "login.example.com"] } }, /spec\.certificate\.dnsNames has ledger\.ns\.svc/],
    ["a ClusterIssuer not allowed", "plain", { certificate: { issuerRef: { name: "corp-root", kind: "ClusterIssuer" } } }, /spec\.certificate\.issuerRef names ClusterIssuer corp-root, which this namespace may not use.*nexus-ca/],
    ["ten years", "plain", { certificate: { duration: "87600h" } }, /spec\.certificate\.duration 87600h is longer than the 168h/],
  ])("refuses %s, naming the field", async (_what, where, spec, message) => {
    const text = await refusal(where === "plain" ? plainNs : tenantNs, spec);
    expect(text).toMatch(message);
  });

  it.each<[string, "tenant" | "plain", (namespace: string) => Record<string, unknown>]>([
    ["a claim its namespace backs", "tenant", () => ({ tenant })],
    ["no claim at all", "plain", () => ({})],
    ["the namespace's own names, its own Issuer and a week", "plain", (ns) => ({ certificate: { issuerRef: { name: "team-ca", kind: "Issuer" }, duration: "168h", dnsNames: [`web.${ns}.svc`, `*.web.${ns}.svc.cluster.local`] } })],
    ["the default ClusterIssuer and a name under an allowed suffix", "plain", (ns) => ({ certificate: { issuerRef: { name: "nexus-ca", kind: "ClusterIssuer" }, dnsNames: [`web.${ns}.apps.example.com`] } })],
  ])("admits %s", async (_what, where, spec) => {
    const namespace = where === "plain" ? plainNs : tenantNs;
    expect(await refusal(namespace, spec(namespace))).toBeUndefined();
  });
});
