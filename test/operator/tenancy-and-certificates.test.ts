// Security review findings 1 and 2 (issue 22), against the real apiserver and the operator
// alone (no admission policy installed: the operator must refuse by itself).
// 1. A namespace user who may only create EngineIdentities in their own namespace claims
//    another team's tenant: the claim grants nothing until an administrator labels the
//    namespace with that tenant; relabelling re-renders.
// 2. The same user asks, through an EngineIdentity, for certificates the operator would sign
//    with its own rights: other namespaces' names, the apiserver's, an external hostname, a
//    ClusterIssuer the administrators do not allow, ten years. No Certificate is written.
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { evaluateRequest, type AuthorizationPolicyObject } from "../../operator/evaluate/index.js";
import { KubeClient, type KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { waitFor } from "../controlplane/wait.js";
import { mayDo } from "../support/access-review.js";
import { adminClient, conditionOf, createNamespace, deleteNamespace, getOrUndefined, hasCondition, uniqueName, waitForEvent, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const API = "security.nexus.io/v1alpha1";
const TENANT_LABEL = "security.nexus.io/tenant";

function identity(name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace }, spec };
}

const principal = (namespace: string, serviceAccount: string) => `cluster.local/ns/${namespace}/sa/${serviceAccount}`;

/** The AuthorizationPolicies a policy's status says it rendered, read from the apiserver. */
async function renderedPolicies(client: KubeClient, namespace: string, policy: string): Promise<AuthorizationPolicyObject[]> {
  const ap = await client.get<KubeObject & { status?: { rendered?: Array<{ kind: string; name: string }> } }>(resources.accessPolicy, policy, namespace);
  const names = (ap.status?.rendered ?? []).filter((r) => r.kind === "AuthorizationPolicy").map((r) => r.name);
  return Promise.all(names.map((name) => client.get<KubeObject>(resources.authorizationPolicy, name, namespace))) as unknown as Promise<AuthorizationPolicyObject[]>;
}

function principalsOf(policies: AuthorizationPolicyObject[]): string[] {
  return policies.flatMap((p) => (p.spec?.rules ?? []).flatMap((r) => (r.from ?? []).flatMap((f) => f.source?.principals ?? []))).sort();
}

/** What Istio would decide for a GET from `caller` to the ledger's pods, by the rendered policies. */
function allowsGet(policies: AuthorizationPolicyObject[], caller: string, namespace: string): boolean {
  return evaluateRequest(policies, { source: { principal: caller }, workload: { namespace, labels: { app: "ledger" } }, operation: { method: "GET", path: "/v1/entries", port: 8080 } }).allowed;
}

describe("finding 1: tenant membership is the administrators' namespace label, not the identity's claim", () => {
  let admin: KubeClient;
  let mallory: KubeClient;
  let malloryConfig: KubeConfig;
  let running: TestOperator;
  const acmeNs = uniqueName("acme");
  const malloryNs = uniqueName("mallory");
  // Tenants are cluster-wide: a name of this run's own, so no other suite's engines join it.
  const tenant = uniqueName("acme");

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    await createNamespace(admin, acmeNs, { [TENANT_LABEL]: tenant });
    await createNamespace(admin, malloryNs);
    // A namespace user: EngineIdentities in their own namespace, and nothing else.
    const user = `${malloryNs}-user`;
    await admin.createRaw(`/apis/rbac.authorization.k8s.io/v1/namespaces/${malloryNs}/roles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "engine-teams", namespace: malloryNs },
      rules: [{ apiGroups: ["security.nexus.io"], resources: ["engineidentities"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] }],
    });
    await admin.createRaw(`/apis/rbac.authorization.k8s.io/v1/namespaces/${malloryNs}/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "engine-teams", namespace: malloryNs },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "engine-teams" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    });
    const userKubeconfig = await credentialsFor(inject("controlPlane")).mintUserKubeconfig(user);
    malloryConfig = new KubeConfig();
    malloryConfig.loadFromFile(userKubeconfig);
    mallory = new KubeClient(malloryConfig);
    await waitFor(async () => ((await mayDo(malloryConfig, { verb: "create", group: "security.nexus.io", resource: "engineidentities", namespace: malloryNs })) ? true : undefined), {
      timeoutMs: 15_000,
      description: "the namespace user's RoleBinding to take effect",
    });
    running = await startTestOperator(kubeconfig);
    await admin.create(identity("ledger", acmeNs, { tenant, workloadSelector: { matchLabels: { app: "ledger" } } }));
    await admin.create(identity("cart", acmeNs, { workloadSelector: { matchLabels: { app: "cart" } } }));
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: acmeNs },
      spec: { targetIdentity: "ledger", rules: [{ from: [{ tenant }], to: [{ methods: ["GET"] }] }] },
    });
  });

  afterAll(async () => {
    await running?.stop();
    if (admin) {
      await deleteNamespace(admin, acmeNs);
      await deleteNamespace(admin, malloryNs);
    }
    mallory?.close();
    admin?.close();
  });

  it("cannot label namespaces: tenancy is out of a namespace user's reach", async () => {
    expect(await mayDo(malloryConfig, { verb: "patch", group: "", resource: "namespaces", name: malloryNs })).toBe(false);
    expect(await mayDo(malloryConfig, { verb: "create", group: "security.nexus.io", resource: "engineidentities", namespace: acmeNs })).toBe(false);
  });

  it("a namespace user's identity claiming the tenant in an unlabelled namespace is not admitted by an Allow of that tenant", async () => {
    await mallory.create(identity("spy", malloryNs, { tenant, workloadSelector: { matchLabels: { app: "spy" } } }));
    const spy = await waitForObject(admin, resources.engineIdentity, "spy", malloryNs, (o) => hasCondition(o, "TenantVerified", "False", "NamespaceHasNoTenant"), "spy's claim reported unverified");
    expect((spy.status as { tenant?: string }).tenant).toBeUndefined();
    expect(conditionOf(spy, "TenantVerified")?.message).toContain(`${TENANT_LABEL}=${tenant}`);
    // The identity itself is unaffected: ServiceAccount made, Ready.
    await waitForObject(admin, resources.engineIdentity, "spy", malloryNs, (o) => hasCondition(o, "Ready", "True"), "spy Ready");
    await waitForEvent(admin, malloryNs, "spy", "NamespaceHasNoTenant");
    // The policy names the claimant it left out.
    const policy = await waitForObject(admin, resources.accessPolicy, "ledger-callers", acmeNs, (o) => (conditionOf(o, "Resolved")?.message ?? "").includes(`${malloryNs}/spy`), "Resolved names the claimant");
    expect(conditionOf(policy, "Resolved")).toMatchObject({ status: "False", reason: "SourcesUnresolved" });
    expect((policy.status as { unresolved: unknown[] }).unresolved).toEqual([expect.objectContaining({ reason: "TenantNotVerified", effect: "Narrowed", engines: [`${malloryNs}/spy`] })]);
    const rendered = await renderedPolicies(admin, acmeNs, "ledger-callers");
    expect(principalsOf(rendered)).toEqual([principal(acmeNs, "cart"), principal(acmeNs, "ledger")]);
    expect(allowsGet(rendered, principal(malloryNs, "spy"), acmeNs)).toBe(false);
    expect(allowsGet(rendered, principal(acmeNs, "cart"), acmeNs)).toBe(true);
    // cart never claimed a tenant: it is a member of its namespace's.
    const cart = await waitForObject(admin, resources.engineIdentity, "cart", acmeNs, (o) => hasCondition(o, "TenantVerified", "True"), "cart verified");
    expect((cart.status as { tenant?: string }).tenant).toBe(tenant);
  });

  it("a claimant is kept in a Deny of the tenant: a claim still restricts", async () => {
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "no-deletes-by-tenant", namespace: acmeNs },
      spec: { targetIdentity: "ledger", action: "Deny", rules: [{ from: [{ tenant }], to: [{ methods: ["DELETE"] }] }] },
    });
    await waitForObject(admin, resources.accessPolicy, "no-deletes-by-tenant", acmeNs, (o) => hasCondition(o, "Rendered", "True"), "Deny rendered");
    expect(principalsOf(await renderedPolicies(admin, acmeNs, "no-deletes-by-tenant"))).toContain(principal(malloryNs, "spy"));
  });

  it("admits the identity once an administrator labels its namespace with the tenant, and not after the label goes", async () => {
    await admin.mergePatch(resources.namespace, malloryNs, undefined, { metadata: { labels: { [TENANT_LABEL]: tenant } } }, "cluster-admin");
    await waitFor(async () => (principalsOf(await renderedPolicies(admin, acmeNs, "ledger-callers")).includes(principal(malloryNs, "spy")) ? true : undefined), {
      timeoutMs: 30_000,
      description: "the relabelled namespace's identity admitted",
    });
    expect(allowsGet(await renderedPolicies(admin, acmeNs, "ledger-callers"), principal(malloryNs, "spy"), acmeNs)).toBe(true);
    const spy = await waitForObject(admin, resources.engineIdentity, "spy", malloryNs, (o) => hasCondition(o, "TenantVerified", "True"), "spy verified");
    expect((spy.status as { tenant?: string }).tenant).toBe(tenant);

    await admin.mergePatch(resources.namespace, malloryNs, undefined, { metadata: { labels: { [TENANT_LABEL]: null } } }, "cluster-admin");
    await waitFor(async () => (principalsOf(await renderedPolicies(admin, acmeNs, "ledger-callers")).includes(principal(malloryNs, "spy")) ? undefined : true), {
      timeoutMs: 30_000,
      description: "the identity left out again once the label is removed",
    });
    await waitForObject(admin, resources.engineIdentity, "spy", malloryNs, (o) => hasCondition(o, "TenantVerified", "False", "NamespaceHasNoTenant"), "spy unverified again");
  });

  it("reports a claim of another tenant than the namespace's as TenantMismatch", async () => {
    await admin.create(identity("odd", acmeNs, { tenant: `${tenant}-other` }));
    const odd = await waitForObject(admin, resources.engineIdentity, "odd", acmeNs, (o) => hasCondition(o, "TenantVerified", "False", "TenantMismatch"), "odd mismatch");
    expect(conditionOf(odd, "TenantVerified")?.message).toContain(`belongs to tenant ${tenant}`);
    expect((odd.status as { tenant?: string }).tenant).toBeUndefined();
  });
});

describe("finding 2: the operator requests no certificate a namespace may not have", () => {
  let admin: KubeClient;
  let running: TestOperator;
  const ns = uniqueName("certs");

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    await createNamespace(admin, ns);
    running = await startTestOperator(kubeconfig);
  });

  afterAll(async () => {
    await running?.stop();
    if (admin) await deleteNamespace(admin, ns);
    admin?.close();
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ["another namespace's services", { dnsNames: ["*.payments.svc.cluster.local"] }, "DNSNameNotAllowed", "*.payments.svc.cluster.local"],
    ["the apiserver's name", { dnsNames: ["kubernetes.default.svc"] }, "DNSNameNotAllowed", "kubernetes.default.svc"],
    ["an external hostname", { dnsNames: ["login.example.com"] }, "DNSNameNotAllowed", "login.example.com"],
    ["a ClusterIssuer the administrators do not allow", { issuerRef: { name: "corp-root", kind: "ClusterIssuer" } }, "IssuerNotAllowed", "corp-root"],
    ["ten years", { duration: "87600h" }, "DurationNotAllowed", "87600h"],
  ])("refuses %s: no Certificate, CertificateReady=False with the reason, an Event", async (_what, certificate, reason, named) => {
    const name = `bad-${reason.toLowerCase().slice(0, 10)}-${uniqueName("x").slice(2)}`;
    await admin.create(identity(name, ns, { certificate }));
    const eid = await waitForObject(admin, resources.engineIdentity, name, ns, (o) => hasCondition(o, "CertificateReady", "False", reason), `${name} ${reason}`);
    expect(conditionOf(eid, "CertificateReady")?.message).toContain(named);
    expect(conditionOf(eid, "Ready")?.status).toBe("False");
    await waitForEvent(admin, ns, name, reason);
    await running.operator.idle();
    expect(await getOrUndefined(admin, resources.certificate, `${name}-svid`, ns)).toBeUndefined();
  });

  it("writes the Certificate for what the namespace may have: its own names, its own Issuer, a week", async () => {
    await admin.create(identity("fine", ns, { certificate: { issuerRef: { name: "team-ca", kind: "Issuer" }, duration: "168h", dnsNames: [`fine.${ns}.svc`, `*.fine.${ns}.svc.cluster.local`] } }));
    const certificate = await waitForObject(admin, resources.certificate, "fine-svid", ns, () => true, "fine's Certificate");
    expect(certificate.spec).toMatchObject({ uris: [`spiffe://cluster.local/ns/${ns}/sa/fine`], duration: "168h", issuerRef: { name: "team-ca", kind: "Issuer" } });
  });

  it("deletes a Certificate it wrote once the administrators' limits no longer allow it (fail closed)", async () => {
    await admin.create(identity("long", ns, { certificate: { issuerRef: { name: "team-ca", kind: "Issuer" }, duration: "120h" } }));
    await waitForObject(admin, resources.certificate, "long-svid", ns, () => true, "long's Certificate under the default cap");
    await running.stop();
    running = await startTestOperator(inject("kubeconfig"), { render: { certificateLimits: { maxDurationMs: 48 * 3_600_000 } } });
    await waitFor(async () => ((await getOrUndefined(admin, resources.certificate, "long-svid", ns)) ? undefined : true), { timeoutMs: 30_000, description: "long's Certificate deleted" });
    const eid = await waitForObject(admin, resources.engineIdentity, "long", ns, (o) => hasCondition(o, "CertificateReady", "False", "DurationNotAllowed"), "long DurationNotAllowed");
    expect(conditionOf(eid, "CertificateReady")?.message).toContain("120h");
    const deleted = await waitForEvent(admin, ns, "long", "CertificateDeleted");
    expect(deleted.type).toBe("Warning");
    // The week-long one, within the old cap, is beyond the new one too.
    await waitFor(async () => ((await getOrUndefined(admin, resources.certificate, "fine-svid", ns)) ? undefined : true), { timeoutMs: 30_000, description: "fine's Certificate deleted" });
  });
});
