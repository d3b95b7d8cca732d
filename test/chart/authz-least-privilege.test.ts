// Least privilege of the credential gate, proved: nexus-authz runs as its own process with
// the chart's ServiceAccount and exactly the ClusterRole the chart renders for it, syncs its
// caches, answers Checks from what it watched, and gets no 403 from the apiserver. The role
// grants reading the two NEXUS kinds and Namespaces (whose tenant label decides tenant
// membership), and listing and watching Services and Gateways (which waypoint serves which
// Service, for an ambient waypoint's Checks), and nothing else: no Secret, no write.
import { KubeConfig, type KubernetesObject, type V1ClusterRole } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiKeySha256, generateApiKey } from "../../operator/credentials/api-key.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import type { ResourceType } from "../../operator/runtime/resources.js";
import { readAuditEvents } from "../controlplane/audit.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { serverSideApply } from "../controlplane/server-side-apply.js";
import { waitFor } from "../controlplane/wait.js";
import { rememberCreated } from "../authz/support/credentials-created.js";
import { EnvoyCheckClient, sidecarXfccFor } from "../authz/support/envoy-check-client.js";
import { startGateProcess, type GateProcess } from "../authz/support/gate-process.js";
import { mayDo } from "../support/access-review.js";
import { findObject, helmBinary, HELM_BUILD_TIMEOUT_MS, renderChart } from "../support/helm.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { waypointGateway } from "../support/waypoint.js";

const RELEASE = "nexus-operator";
const API = "security.nexus.io/v1alpha1";
const clusterRoleType: ResourceType = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false };
const clusterRoleBindingType: ResourceType = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false };

describe("least privilege: nexus-authz under the chart's RBAC only", () => {
  let admin: KubeClient;
  let gateConfig: KubeConfig;
  let gate: GateProcess | undefined;
  let client: EnvoyCheckClient | undefined;
  let clusterRole: V1ClusterRole;
  let gateUser: string;
  const system = uniqueName("nexus-system");
  const ns = uniqueName("lp-authz");
  const key = generateApiKey("ci");
  let ledgerAddress = "";

  /** SelfSubjectAccessReview as the user under test: what the apiserver's authorizer says. */
  const gateMay = (attributes: Record<string, string>) => mayDo(gateConfig, attributes);

  beforeAll(async () => {
    await helmBinary();
    rememberCreated(key);
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    const adminConfig = new KubeConfig();
    adminConfig.loadFromFile(kubeconfig);
    await createNamespace(admin, system);
    // Ambient, its Services served by the waypoint "waypoint".
    await createNamespace(admin, ns, { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
    const rendered = await renderChart({ release: RELEASE, namespace: system, values: { authz: { enabled: true } }, showOnly: ["templates/authz.yaml"] });
    const rbac = rendered.filter((o) => ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"].includes(o.kind ?? ""));
    expect(rbac.map((o) => o.kind).sort()).toEqual(["ClusterRole", "ClusterRoleBinding", "ServiceAccount"]);
    clusterRole = findObject<V1ClusterRole>(rbac, "ClusterRole");
    await serverSideApply(adminConfig, rbac as KubernetesObject[]);
    const serviceAccount = findObject(rbac, "ServiceAccount").metadata?.name as string;
    const gateKubeconfig = await credentialsFor(inject("controlPlane")).mintServiceAccountKubeconfig(system, serviceAccount);
    gateUser = `system:serviceaccount:${system}:${serviceAccount}`;
    gateConfig = new KubeConfig();
    gateConfig.loadFromFile(gateKubeconfig);
    await waitFor(async () => ((await gateMay({ verb: "watch", group: "security.nexus.io", resource: "accesspolicies" })) ? true : undefined), {
      timeoutMs: 15_000,
      description: "the gate's ClusterRoleBinding to take effect",
    });
    await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "ledger" } } } });
    const service = await admin.create<KubeObject & { spec: { clusterIP: string } }>({ apiVersion: "v1", kind: "Service", metadata: { name: "ledger", namespace: ns }, spec: { selector: { app: "ledger" }, ports: [{ port: 8080 }] } });
    ledgerAddress = service.spec.clusterIP;
    await admin.create(waypointGateway(ns, "waypoint"));
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: ns },
      spec: {
        targetIdentity: "ledger",
        authentication: { apiKeys: { keys: [{ id: "ci", sha256: apiKeySha256(key) }] } },
        rules: [{ from: [{ apiKey: { id: "ci" } }], to: [{ methods: ["GET"], paths: ["/v1/*"] }] }],
      },
    });
    gate = await startGateProcess(gateKubeconfig);
    await gate.waitForLog("caches synced; answering Checks", 60_000);
    client = new EnvoyCheckClient(gate.grpcAddress);
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    client?.close();
    await gate?.stop();
    if (admin) {
      await deleteNamespace(admin, ns);
      await deleteNamespace(admin, system);
      const name = clusterRole?.metadata?.name;
      if (name) {
        await admin.delete(clusterRoleBindingType, name);
        await admin.delete(clusterRoleType, name);
      }
    }
    admin?.close();
  });

  it("grants get, list and watch on AccessPolicies, EngineIdentities and Namespaces, list and watch on Services and Gateways, and nothing else", () => {
    const granted = (clusterRole.rules ?? []).flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) => (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`))),
    );
    expect(granted.sort()).toEqual(
      [
        ...["accesspolicies", "engineidentities"].flatMap((resource) => ["get", "list", "watch"].map((verb) => `security.nexus.io/${resource}:${verb}`)),
        ...["get", "list", "watch"].map((verb) => `/namespaces:${verb}`),
        ...["list", "watch"].flatMap((verb) => [`/services:${verb}`, `gateway.networking.k8s.io/gateways:${verb}`]),
      ].sort(),
    );
  });

  it("syncs its caches and answers Checks from what it watched: the declared key OK, another 401, the same key OK from the target's waypoint", async () => {
    const request = (apiKey: string) => ({
      path: "/v1/items",
      host: `ledger.${ns}.svc.cluster.local:8080`,
      destinationPrincipal: `spiffe://cluster.local/ns/${ns}/sa/ledger`,
      sourceAddress: "127.0.0.9",
      headers: { "x-api-key": apiKey },
    });
    const answer = await waitFor(async () => {
      const checked = await client!.check(request(key));
      return checked.status === 200 ? checked : undefined;
    }, { timeoutMs: 15_000, description: "the gate to accept the declared key" });
    expect(answer.headers["x-nexus-caller"]).toBe("ci");
    const stranger = generateApiKey("ci");
    rememberCreated(stranger);
    expect((await client!.check(request(stranger))).status).toBe(401);
    // The ledger's waypoint, known from the Services and Gateways the gate watched.
    const fromWaypoint = { path: "/v1/items", host: `ledger.${ns}.svc.cluster.local:8080`, destinationAddress: ledgerAddress, sourceAddress: "127.0.0.9", headers: { "x-api-key": key } };
    const viaWaypoint = await waitFor(async () => {
      const checked = await client!.check(fromWaypoint, { xfcc: sidecarXfccFor(`spiffe://cluster.local/ns/${ns}/sa/waypoint`) });
      return checked.status === 200 ? checked : undefined;
    }, { timeoutMs: 15_000, description: "the gate to answer the ledger's waypoint" });
    expect(viaWaypoint.headers["x-nexus-caller"]).toBe("ci");
    expect((await fetch(`http://127.0.0.1:${gate!.probePort}/readyz`)).status).toBe(200);
  });

  it("may not read Secrets nor write anything, and was refused nothing it asked for", async () => {
    for (const attributes of <Array<Record<string, string>>>[
      { verb: "get", group: "", resource: "secrets", namespace: ns },
      { verb: "list", group: "", resource: "secrets" },
      { verb: "patch", group: "security.nexus.io", resource: "accesspolicies", namespace: ns },
      { verb: "patch", group: "", resource: "namespaces", name: ns },
      { verb: "create", group: "", resource: "namespaces" },
      { verb: "create", group: "", resource: "events", namespace: ns },
      { verb: "update", group: "security.nexus.io", resource: "accesspolicies", subresource: "status", namespace: ns },
    ]) {
      expect(await gateMay(attributes), JSON.stringify(attributes)).toBe(false);
    }
    const asked = (await readAuditEvents(inject("auditLogPath"))).filter((e) => e.user.username === gateUser);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.filter((e) => e.responseStatus?.code === 403).map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
  });
});
