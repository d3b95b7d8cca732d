// Least privilege, proved: the operator runs in-process as the chart's ServiceAccount with
// only the RBAC the chart renders (ClusterRole + binding, leader election Role + binding),
// through a scenario that touches every kind it reads and writes. It must work, get no 403
// anywhere (its log and the apiserver's audit log), and use every write the ClusterRole
// grants, so no grant is superfluous. Then the operator binary runs with the Deployment's
// own arguments and environment and leads through its Lease under the chart's Role. The
// operator's own requests and the apiserver's authorizer decide; nothing is simulated.
import { KubeConfig, type KubernetesObject, type V1ClusterRole, type V1Deployment, type V1PolicyRule } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { certificateName } from "../../operator/identity/render-certificate.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../operator/render/metadata.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources, type ResourceType } from "../../operator/runtime/resources.js";
import { readAuditEvents, WRITE_VERBS, type AuditEvent } from "../controlplane/audit.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { serverSideApply } from "../controlplane/server-side-apply.js";
import { waitFor } from "../controlplane/wait.js";
import { rawRequest } from "../controlplane/raw-request.js";
import { mayDo } from "../support/access-review.js";
import { findObject, helmBinary, HELM_BUILD_TIMEOUT_MS, renderChart } from "../support/helm.js";
import { adminClient, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForGone, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { startHttpServer } from "../../operator/http-server.js";
import { KubernetesMetricsAccess } from "../../operator/runtime/metrics-access.js";
import { startOperatorProcess, type OperatorProcess } from "../support/operator-process.js";
import { DEFAULT_DENY_NAME, jwtName, STRICT_MTLS_NAME, workloadMtlsName } from "../../operator/render/names.js";

const RELEASE = "nexus-operator";
const API = "security.nexus.io/v1alpha1";
const ISSUER = "https://login.example.com";
const clusterRoleType: ResourceType = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false };
const clusterRoleBindingType: ResourceType = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false };

// Granted only for the OwnerReferencesPermissionEnforcement admission plugin (setting
// blockOwnerDeletion on owner references); no request of the operator uses it, and the
// test control plane does not run that plugin, so it cannot be observed here.
const ADMISSION_ONLY = new Set(["security.nexus.io/engineidentities/finalizers:update", "security.nexus.io/accesspolicies/finalizers:update"]);

interface EventObject extends KubeObject {
  reason: string;
  type: string;
  source?: { component?: string };
  involvedObject: { kind: string; name: string; namespace?: string };
}

function identity(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace }, spec };
}

/** "group/resource[/subresource]:verb" for each write a ClusterRole grants. */
function grantedWrites(rules: V1PolicyRule[]): Set<string> {
  const writes = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) if ((WRITE_VERBS as readonly string[]).includes(verb)) writes.add(`${group}/${resource}:${verb}`);
      }
    }
  }
  return writes;
}

/** The same keys for what the audit log saw; an apply that created its object was also authorized as create. */
function observedWrites(events: AuditEvent[]): Set<string> {
  const writes = new Set<string>();
  for (const event of events) {
    const ref = event.objectRef ?? {};
    const resource = `${ref.apiGroup ?? ""}/${ref.resource ?? ""}${ref.subresource ? `/${ref.subresource}` : ""}`;
    writes.add(`${resource}:${event.verb}`);
    if (event.verb === "patch" && event.responseStatus?.code === 201) writes.add(`${resource}:create`);
  }
  return writes;
}

describe("least privilege: the operator under the chart's RBAC only", () => {
  let admin: KubeClient;
  let adminConfig: KubeConfig;
  let operatorConfig: KubeConfig;
  let running: TestOperator | undefined;
  let clusterRole: V1ClusterRole;
  let operatorUser: string;
  let operatorKubeconfig: string;
  const system = uniqueName("nexus-system");
  const ns = uniqueName("lp");

  const eventsIn = async (namespace: string) =>
    (await admin.getRaw<{ items: EventObject[] }>(`/api/v1/namespaces/${namespace}/events`)).items.filter((e) => e.source?.component === "nexus-operator");
  const operatorAudit = async () => (await readAuditEvents(inject("auditLogPath"))).filter((e) => e.user.username === operatorUser);
  /** SelfSubjectAccessReview as the user under test: what the apiserver's authorizer says. */
  const operatorMay = (attributes: Record<string, string>) => mayDo(operatorConfig, attributes);

  beforeAll(async () => {
    await helmBinary();
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    adminConfig = new KubeConfig();
    adminConfig.loadFromFile(kubeconfig);
    await createNamespace(admin, system);
    await createNamespace(admin, ns);
    // Exactly what the chart installs for the operator's identity and permissions.
    const rbac = await renderChart({
      release: RELEASE,
      namespace: system,
      showOnly: ["templates/serviceaccount.yaml", "templates/clusterrole.yaml", "templates/leader-election-rbac.yaml"],
    });
    expect(rbac.map((o) => o.kind).sort()).toEqual(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"]);
    clusterRole = findObject<V1ClusterRole>(rbac, "ClusterRole");
    await serverSideApply(adminConfig, rbac as KubernetesObject[]);
    operatorKubeconfig = await credentialsFor(inject("controlPlane")).mintServiceAccountKubeconfig(system, RELEASE);
    operatorUser = `system:serviceaccount:${system}:${RELEASE}`;
    operatorConfig = new KubeConfig();
    operatorConfig.loadFromFile(operatorKubeconfig);
    // The RBAC authorizer learns about new bindings through its informers.
    await waitFor(async () => ((await operatorMay({ verb: "watch", group: "security.nexus.io", resource: "engineidentities" })) ? true : undefined), {
      timeoutMs: 15_000,
      description: "the operator's ClusterRoleBinding to take effect",
    });
    // Starting waits for every informer's first list: a missing list grant fails here.
    running = await startTestOperator(operatorKubeconfig);
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await running?.stop();
    if (admin) {
      await deleteNamespace(admin, ns);
      await deleteNamespace(admin, system);
      await admin.delete(clusterRoleBindingType, RELEASE);
      await admin.delete(clusterRoleType, RELEASE);
      await admin.delete(clusterRoleBindingType, `${RELEASE}-metrics-reader`);
      await admin.delete(clusterRoleType, `${RELEASE}-metrics-reader`);
    }
    admin?.close();
  });

  it("starts with every informer synced under the chart's RBAC", () => {
    expect(running!.operator.ready()).toBe(true);
    // Services and waypoint Gateways are listed and watched, not merely tolerated as absent.
    expect(running!.operator.caches.services.availability).toBe("served");
    expect(running!.operator.caches.gateways.availability).toBe("served");
  });

  it("only reads Services and Gateways (list and watch), for data-plane detection", async () => {
    for (const [group, resource] of [["", "services"], ["gateway.networking.k8s.io", "gateways"]] as const) {
      expect(await operatorMay({ verb: "list", group, resource }), `list ${resource}`).toBe(true);
      expect(await operatorMay({ verb: "watch", group, resource }), `watch ${resource}`).toBe(true);
      for (const verb of ["get", "create", "update", "patch", "delete"]) expect(await operatorMay({ verb, group, resource, namespace: ns }), `${verb} ${resource}`).toBe(false);
      expect(await operatorMay({ verb: "patch", group, resource, subresource: "status", namespace: ns }), `patch ${resource}/status`).toBe(false);
    }
    // And the watches deliver under those rules: what is created shows up in the operator's caches.
    await admin.create({ apiVersion: "v1", kind: "Service", metadata: { name: "ledger", namespace: ns }, spec: { selector: { app: "ledger" }, ports: [{ port: 8080 }] } });
    await admin.create({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "waypoint", namespace: ns },
      spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
    });
    const { caches } = running!.operator;
    await waitFor(async () => (caches.services.get("ledger", ns) && caches.gateways.get("waypoint", ns) ? true : undefined), {
      timeoutMs: 15_000,
      description: "the Service and the Gateway in the operator's caches",
    });
  });

  it("creates ServiceAccounts and Certificates and writes identity status", async () => {
    await admin.create(identity(ns, "ledger", { tenant: "acme", workloadSelector: { matchLabels: { app: "ledger" } }, certificate: { issuerRef: { name: "missing-ca", kind: "Issuer" } } }));
    await admin.create(identity(ns, "web", { tenant: "acme", workloadSelector: { matchLabels: { app: "web" } } }));
    await admin.create(identity(ns, "billing", { tenant: "acme", serviceAccountName: "billing-engine" }));

    // Without a certificate: the ServiceAccount is all it takes to be Ready.
    const web = await waitForObject(admin, resources.engineIdentity, "web", ns, (o) => hasCondition(o, "Ready", "True"), "web Ready");
    expect((web.status as { spiffeID: string }).spiffeID).toBe(`spiffe://cluster.local/ns/${ns}/sa/web`);
    // With a certificate: the Certificate is created; its issuer does not exist, and says so.
    const ledger = await waitForObject(admin, resources.engineIdentity, "ledger", ns, (o) => hasCondition(o, "CertificateReady", "False", "IssuerNotFound"), "ledger IssuerNotFound");
    expect(hasCondition(ledger, "Ready", "False")).toBe(true);
    const certificate = await waitForObject(admin, resources.certificate, certificateName(ledger as never), ns, () => true, "ledger's Certificate");
    expect(certificate.metadata.labels?.[MANAGED_BY_LABEL]).toBe(MANAGED_BY_VALUE);
    expect((certificate.spec as { uris: string[] }).uris).toEqual([`spiffe://cluster.local/ns/${ns}/sa/ledger`]);
    for (const name of ["web", "ledger", "billing-engine"]) {
      const sa = await waitForObject(admin, resources.serviceAccount, name, ns, () => true, `ServiceAccount ${name}`);
      expect(sa.metadata.ownerReferences?.[0]?.kind).toBe("EngineIdentity");
    }
  });

  it("renders a policy into AuthorizationPolicies and a RequestAuthentication, its target's workload PeerAuthentication, and the baseline", async () => {
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: ns },
      spec: {
        targetIdentity: "ledger",
        // Permissive, so the target gets a workload PeerAuthentication too (owned by its EngineIdentity).
        mtls: "Permissive",
        authentication: { jwt: [{ issuer: ISSUER, jwksUri: `${ISSUER}/.well-known/jwks.json`, audiences: ["ledger"] }], requireJWT: true },
        rules: [{ from: [{ identity: { name: "web" } }, { jwt: { issuer: ISSUER } }], to: [{ methods: ["GET"], paths: ["/v1/*"] }] }],
      },
    });
    const policy = await waitForObject(admin, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Ready", "True"), "ledger-callers Ready");
    const rendered = (policy.status as { rendered: Array<{ kind: string; name: string }> }).rendered.map((r) => `${r.kind}/${r.name}`).sort();
    expect(rendered).toEqual([
      "AuthorizationPolicy/nexus-ledger-callers",
      `AuthorizationPolicy/${jwtName("ledger-callers")}`,
      `RequestAuthentication/${jwtName("ledger-callers")}`,
    ]);
    await waitForObject(admin, resources.authorizationPolicy, "nexus-ledger-callers", ns, () => true, "AuthorizationPolicy");
    await waitForObject(admin, resources.authorizationPolicy, jwtName("ledger-callers"), ns, () => true, "require-jwt AuthorizationPolicy");
    await waitForObject(admin, resources.peerAuthentication, workloadMtlsName("ledger"), ns, (o) => (o.spec as { mtls: { mode: string } }).mtls.mode === "PERMISSIVE", "workload PeerAuthentication");
    await waitForObject(admin, resources.requestAuthentication, jwtName("ledger-callers"), ns, () => true, "RequestAuthentication");
    await waitForObject(admin, resources.authorizationPolicy, DEFAULT_DENY_NAME, ns, () => true, "baseline default deny");
    await waitForObject(admin, resources.peerAuthentication, STRICT_MTLS_NAME, ns, () => true, "baseline STRICT mTLS");
  });

  it("records Events on identities, policies and the namespace", async () => {
    const wanted = ["ServiceAccountCreated", "CertificateApplied", "IssuerNotFound", "Rendered"];
    const events = await waitFor(
      async () => {
        const found = await eventsIn(ns);
        return wanted.every((reason) => found.some((e) => e.reason === reason)) ? found : undefined;
      },
      { timeoutMs: 30_000, description: `Events ${wanted.join(", ")}` },
    );
    expect(events.find((e) => e.reason === "IssuerNotFound")?.type).toBe("Warning");
    // Events about a Namespace (cluster-scoped) go to "default".
    await waitFor(async () => ((await eventsIn("default")).find((e) => e.reason === "BaselineApplied" && e.involvedObject.name === ns) ? true : undefined), {
      timeoutMs: 30_000,
      description: "BaselineApplied Event",
    });
  });

  // Drift repair reads the object it repairs (PeerAuthentications are cached as metadata
  // only; a spec another writer added to is read whole): those reads must be granted too.
  it("undoes another writer's changes to what it rendered: a PeerAuthentication's mode, a field added to an AuthorizationPolicy and to a Certificate", async () => {
    const other = "someone-else";
    const edits: Array<{ type: ResourceType; name: string; edit: Record<string, unknown>; undone: (spec: Record<string, unknown>) => boolean }> = [
      { type: resources.peerAuthentication, name: STRICT_MTLS_NAME, edit: { mtls: { mode: "PERMISSIVE" } }, undone: (spec) => (spec.mtls as { mode: string }).mode === "STRICT" },
      { type: resources.authorizationPolicy, name: DEFAULT_DENY_NAME, edit: { selector: { matchLabels: { app: "other" } } }, undone: (spec) => spec.selector === undefined },
      { type: resources.certificate, name: "ledger-svid", edit: { isCA: true }, undone: (spec) => spec.isCA === undefined },
    ];
    for (const { type, name, edit, undone } of edits) {
      const edited = await admin.mergePatch<KubeObject & { spec: Record<string, unknown> }>(type, name, ns, { spec: edit }, other);
      expect(undone(edited.spec), `${type.kind}/${name} edited`).toBe(false);
      await waitForObject<KubeObject & { spec: Record<string, unknown> }>(
        admin,
        type,
        name,
        ns,
        (o) => o.metadata.generation! > edited.metadata.generation! && undone(o.spec),
        `${type.kind}/${name} restored`,
      );
    }
  });

  it("deletes what it no longer renders: replaced ServiceAccounts, Certificates, Istio objects", async () => {
    await admin.mergePatch(resources.engineIdentity, "billing", ns, { spec: { serviceAccountName: "billing-v2" } }, "nexus-test");
    await admin.mergePatch(resources.engineIdentity, "ledger", ns, { spec: { certificate: null } }, "nexus-test");
    await admin.mergePatch(
      resources.accessPolicy,
      "ledger-callers",
      ns,
      { spec: { authentication: null, rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }] } },
      "nexus-test",
    );
    await waitForObject(admin, resources.serviceAccount, "billing-v2", ns, () => true, "ServiceAccount billing-v2");
    await waitForGone(admin, resources.serviceAccount, "billing-engine", ns);
    await waitForGone(admin, resources.certificate, "ledger-svid", ns);
    await waitForGone(admin, resources.requestAuthentication, jwtName("ledger-callers"), ns);
    await waitForGone(admin, resources.authorizationPolicy, jwtName("ledger-callers"), ns);
    await waitForObject(admin, resources.engineIdentity, "ledger", ns, (o) => hasCondition(o, "Ready", "True"), "ledger Ready without a certificate");
    await waitForObject(admin, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Ready", "True"), "ledger-callers Ready again");
  });

  it("removes the baseline when the namespace holds no NEXUS object any more", async () => {
    await admin.delete(resources.accessPolicy, "ledger-callers", ns);
    for (const name of ["ledger", "web", "billing"]) await admin.delete(resources.engineIdentity, name, ns);
    await waitForGone(admin, resources.authorizationPolicy, DEFAULT_DENY_NAME, ns);
    await waitForGone(admin, resources.peerAuthentication, STRICT_MTLS_NAME, ns);
    await waitFor(async () => ((await eventsIn("default")).find((e) => e.reason === "BaselineRemoved" && e.involvedObject.name === ns) ? true : undefined), {
      timeoutMs: 30_000,
      description: "BaselineRemoved Event",
    });
  });

  it("was never refused: no 403 in its log or in the apiserver's audit log", async () => {
    await running!.operator.idle();
    const refused = running!.logLines.filter((line) => /forbidden|\b403\b/i.test(line));
    expect(refused).toEqual([]);
    const audited = await operatorAudit();
    expect(audited.length).toBeGreaterThan(0);
    expect(audited.filter((e) => e.responseStatus?.code === 403).map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
  });

  it("serves /metrics only to callers the apiserver authorizes, with the chart's metrics-reader role and the operator's own rights", async () => {
    const readerRbac = await renderChart({
      release: RELEASE,
      namespace: system,
      values: { metrics: { readers: [{ kind: "ServiceAccount", name: "prometheus", namespace: ns }] } },
      showOnly: ["templates/metrics-reader-rbac.yaml"],
    });
    expect(readerRbac.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual([`ClusterRole/${RELEASE}-metrics-reader`, `ClusterRoleBinding/${RELEASE}-metrics-reader`]);
    await serverSideApply(adminConfig, readerRbac);
    const tokenOf = async (name: string) => {
      await admin.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } }).catch(() => undefined);
      const request = await admin.createRaw<{ status: { token: string } }>(`/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 600 },
      });
      return request.status.token;
    };
    const [prometheus, nosy] = [await tokenOf("prometheus"), await tokenOf("nosy")];
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: running!.operator.metrics.registry,
      metricsAccess: new KubernetesMetricsAccess(running!.operator.client),
    });
    try {
      const scrape = async (authorization?: string) => {
        const res = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: authorization ? { authorization } : {} });
        return { status: res.status, text: await res.text() };
      };
      const anonymous = await scrape();
      expect(anonymous.status).toBe(401);
      expect(anonymous.text).not.toContain(ns);
      expect((await scrape("Bearer not-a-token")).status).toBe(401);
      const refused = await scrape(`Bearer ${nosy}`);
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain("nexus_");
      // The authorizer learns about the new binding through its informers.
      const allowed = await waitFor(async () => {
        const answer = await scrape(`Bearer ${prometheus}`);
        return answer.status === 200 ? answer : undefined;
      }, { timeoutMs: 15_000, intervalMs: 500, description: "the metrics reader to be allowed" });
      expect(allowed.text).toContain("nexus_");
    } finally {
      await new Promise((resolve) => server.server.close(resolve));
    }
  });

  it("used every write the ClusterRole grants, so none is superfluous", async () => {
    const granted = grantedWrites(clusterRole.rules ?? []);
    const expected = [...granted].filter((w) => !ADMISSION_ONLY.has(w)).sort();
    expect(expected.length).toBeGreaterThan(10);
    let unused = expected;
    await waitFor(
      async () => {
        const observed = observedWrites(await operatorAudit());
        unused = expected.filter((w) => !observed.has(w));
        return unused.length === 0 ? true : undefined;
      },
      { timeoutMs: 10_000, description: "every granted write to show up in the audit log" },
    ).catch(() => undefined);
    expect(unused).toEqual([]);
    // And it wrote nothing the ClusterRole does not grant. Left out: Leases (the Role,
    // checked below) and the access reviews this test sends with the operator's token.
    const observed = [...observedWrites(await operatorAudit())].filter(
      (w) => !w.startsWith("coordination.k8s.io/") && !w.startsWith("authorization.k8s.io/selfsubjectaccessreviews:"),
    );
    expect(observed.filter((w) => !granted.has(w))).toEqual([]);
  });

  it("runs the operator binary with the chart's Deployment arguments: leads through its Lease, releases it on SIGTERM", async () => {
    // One operator at a time from here on: the in-process one makes way for the binary.
    await running?.stop();
    running = undefined;
    const chart = await renderChart({ release: RELEASE, namespace: system, values: { operator: { logLevel: "debug" } }, showOnly: ["templates/deployment.yaml"] });
    const container = findObject<V1Deployment>(chart, "Deployment").spec!.template.spec!.containers[0]!;
    const env: Record<string, string> = { POD_NAMESPACE: system };
    for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value;
    // Flags win over the environment: loopback ports chosen by the OS instead of 8080/8081.
    const args = [...(container.args ?? []), `--kubeconfig=${operatorKubeconfig}`, "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0"];
    const saved = { ...process.env };
    Object.assign(process.env, env);
    let operator: OperatorProcess;
    try {
      operator = startOperatorProcess(args);
    } finally {
      for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
      Object.assign(process.env, saved);
    }
    try {
      await operator.waitForLog("became leader", 60_000);
      await operator.waitForLog("controllers started");
      const lease = await waitForObject(admin, resources.lease, RELEASE, system, (o) => Boolean((o.spec as { holderIdentity?: string }).holderIdentity), "the held Lease");
      expect(lease.metadata.name).toBe(container.args!.find((a) => a.startsWith("--leader-election-id="))!.split("=")[1]);
    } finally {
      expect(await operator.kill("SIGTERM")).toBe(0);
    }
    expect(operator.lines.some((line) => line.includes('"msg":"released leadership"'))).toBe(true);
    const released = await admin.get<KubeObject & { spec: { holderIdentity?: string } }>(resources.lease, RELEASE, system);
    expect(released.spec.holderIdentity ?? "").toBe("");
    expect(operator.lines.filter((line) => /forbidden|\b403\b/i.test(line))).toEqual([]);
    expect((await operatorAudit()).filter((e) => e.responseStatus?.code === 403).map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
  });

  it("may use only its own Lease, in its own namespace, and cannot read Secrets or change specs", async () => {
    const leases = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
    const json = (body: unknown) => ({ contentType: "application/json", data: JSON.stringify(body) });
    const lease = (namespace: string, name: string) =>
      json({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec: { holderIdentity: "least-privilege-test", leaseDurationSeconds: 15 } });
    const own = `${leases(system)}/${RELEASE}`;
    const read = await rawRequest(operatorConfig, "GET", own);
    expect(read.status).toBe(200);
    const current = JSON.parse(read.body) as KubeObject;
    expect((await rawRequest(operatorConfig, "PUT", own, json({ ...current, spec: { holderIdentity: "probe", leaseDurationSeconds: 15 } }))).status).toBe(200);
    expect((await rawRequest(operatorConfig, "DELETE", own)).status).toBe(403);
    expect((await rawRequest(operatorConfig, "GET", leases(system))).status).toBe(403);
    expect((await rawRequest(operatorConfig, "GET", "/apis/coordination.k8s.io/v1/leases")).status).toBe(403);
    expect((await rawRequest(operatorConfig, "POST", leases(ns), lease(ns, RELEASE))).status).toBe(403);
    // Creating is allowed by any name (RBAC cannot name what does not exist yet); reading
    // or taking over any Lease but its own is not.
    expect((await rawRequest(operatorConfig, "POST", leases(system), lease(system, "another-lease"))).status).toBe(201);
    expect((await rawRequest(operatorConfig, "GET", `${leases(system)}/another-lease`)).status).toBe(403);

    const denied: Array<Record<string, string>> = [
      { verb: "get", resource: "secrets", namespace: ns },
      { verb: "list", resource: "secrets" },
      { verb: "watch", resource: "secrets" },
      { verb: "update", group: "security.nexus.io", resource: "engineidentities", namespace: ns },
      { verb: "patch", group: "security.nexus.io", resource: "accesspolicies", namespace: ns },
      { verb: "delete", group: "security.nexus.io", resource: "engineidentities", namespace: ns },
      { verb: "create", group: "cert-manager.io", resource: "issuers", namespace: ns },
      { verb: "update", group: "cert-manager.io", resource: "certificates", namespace: ns },
      { verb: "patch", resource: "namespaces" },
      { verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: ns },
      { verb: "create", resource: "pods", namespace: ns },
      { verb: "list", resource: "pods" },
      { verb: "list", resource: "endpoints" },
      { verb: "list", group: "gateway.networking.k8s.io", resource: "httproutes" },
      { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: ns, name: "web" },
      { verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: ns },
    ];
    const allowed = [];
    for (const attributes of denied) if (await operatorMay(attributes)) allowed.push(attributes);
    expect(allowed).toEqual([]);
  });
});
