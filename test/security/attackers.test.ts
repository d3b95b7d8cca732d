// The three attackers of the security review (issue 22), played together against the live
// operator and the credential gate as its own process, on the real apiserver:
// - a namespace user, with a Role of their own namespace only (the RBAC a platform team
//   hands a tenant): may create EngineIdentities and AccessPolicies there, nothing else;
// - a workload in the mesh, which can send the gate any Check it likes;
// - an internet client behind the ingress gateway, which writes any header it likes.
// Each attack is bounded in time and asserts what the attacker does NOT gain; the
// per-finding regression tests sit next to the code they test (test/operator/tenancy*,
// test/authz/gate-review.test.ts, test/operator/rendered-names*).
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiKeySha256, generateApiKey } from "../../operator/credentials/api-key.js";
import { evaluateRequest, type AuthorizationPolicyObject } from "../../operator/evaluate/index.js";
import { KubeApiError, KubeClient, type KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { readAuditEvents } from "../controlplane/audit.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { waitFor } from "../controlplane/wait.js";
import { rememberCreated } from "../authz/support/credentials-created.js";
import { EnvoyCheckClient, sidecarXfccFor, type EnvoyRequest } from "../authz/support/envoy-check-client.js";
import { startGateProcess, type GateProcess } from "../authz/support/gate-process.js";
import { svidFor } from "../authz/support/svid.js";
import { adminClient, conditionOf, createNamespace, deleteNamespace, getOrUndefined, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const API = "security.nexus.io/v1alpha1";
const TENANT_LABEL = "security.nexus.io/tenant";
const GATEWAY = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway";
const FAILURES = 5;
/** Every attack ends within this; a hang is a finding too. */
const ATTACK_MS = 45_000;

function newKey(id: string): string {
  const key = generateApiKey(id);
  rememberCreated(key);
  return key;
}

async function refusedWith(write: Promise<unknown>): Promise<number> {
  try {
    await write;
  } catch (err) {
    if (err instanceof KubeApiError) return err.statusCode;
    throw err;
  }
  return 0;
}

describe("the three attackers against the live operator and gate", () => {
  const id = uniqueName("sec").slice(4);
  const victimNs = `victim-${id}`;
  const attackerNs = `mallory-${id}`;
  const victimTenant = `acme-${id}`;
  const attackerTenant = `evil-${id}`;
  let admin: KubeClient;
  let mallory: KubeClient;
  let operator: TestOperator;
  let gate: GateProcess;
  let checks: EnvoyCheckClient;
  let gatewaySvid: string;
  const ledgerKey = newKey("ledger-client");
  const ledger = `spiffe://cluster.local/ns/${victimNs}/sa/ledger`;
  const malloryEngine = `spiffe://cluster.local/ns/${attackerNs}/sa/spy`;
  let sources = 0;
  const toLedger = (request: Omit<EnvoyRequest, "destinationPrincipal">): EnvoyRequest => ({
    destinationPrincipal: ledger,
    host: `ledger.${victimNs}.svc.cluster.local:8080`,
    sourceAddress: `127.2.${++sources >> 8}.${sources & 255}`,
    ...request,
  });
  const liveAuthorizationPolicies = async (ns: string) => (await admin.list<KubeObject>(resources.authorizationPolicy, ns)).items as unknown as AuthorizationPolicyObject[];
  const mayCallLedger = async (principal: string) =>
    evaluateRequest(await liveAuthorizationPolicies(victimNs), {
      source: { principal: principal.replace("spiffe://", "") },
      workload: { namespace: victimNs, labels: { app: "ledger" } },
      // Outside the gated /v1/*: decided by the mesh's own rules, not the gate.
      operation: { method: "GET", path: "/balance", port: 8080 },
    }).allowed;

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    await createNamespace(admin, victimNs, { [TENANT_LABEL]: victimTenant });
    await createNamespace(admin, attackerNs, { [TENANT_LABEL]: attackerTenant });
    // What a platform team grants a tenant's user: the NEXUS kinds of one namespace.
    await admin.createRaw(`/apis/rbac.authorization.k8s.io/v1/namespaces/${attackerNs}/roles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "nexus-editor", namespace: attackerNs },
      rules: [
        { apiGroups: ["security.nexus.io"], resources: ["engineidentities", "accesspolicies"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
        { apiGroups: [""], resources: ["serviceaccounts", "events"], verbs: ["get", "list"] },
      ],
    });
    await admin.createRaw(`/apis/rbac.authorization.k8s.io/v1/namespaces/${attackerNs}/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "mallory", namespace: attackerNs },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "nexus-editor" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: `mallory-${id}` }],
    });
    const malloryConfig = new KubeConfig();
    malloryConfig.loadFromFile(await credentialsFor(inject("controlPlane")).mintUserKubeconfig(`mallory-${id}`));
    mallory = new KubeClient(malloryConfig);
    await waitFor(async () => (await mallory.list(resources.engineIdentity, attackerNs).then(() => true, () => undefined)), { timeoutMs: 15_000, description: "mallory's RoleBinding to take effect" });

    // The victim: a ledger with members of its tenant allowed, and a gated API key.
    for (const name of ["ledger", "teller"]) {
      await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace: victimNs }, spec: { tenant: victimTenant, workloadSelector: { matchLabels: { app: name } } } });
    }
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: victimNs },
      spec: {
        targetIdentity: "ledger",
        authentication: { apiKeys: { keys: [{ id: "ledger-client", sha256: apiKeySha256(ledgerKey) }] } },
        rules: [{ from: [{ tenant: victimTenant }] }, { from: [{ apiKey: { id: "ledger-client" } }], to: [{ paths: ["/v1/*"] }] }],
      },
    });
    operator = await startTestOperator(kubeconfig);
    gatewaySvid = await svidFor(GATEWAY);
    gate = await startGateProcess(kubeconfig, {
      args: [`--rate-limit-failures=${FAILURES}`, "--rate-limit-window=60", "--rate-limit-block=60", `--trusted-gateway-principals=${GATEWAY}`, "--trusted-gateway-hops=0"],
    });
    await gate.waitForLog("caches synced; answering Checks", 60_000);
    checks = new EnvoyCheckClient(gate.grpcAddress);
    await waitFor(async () => ((await checks.check(toLedger({ path: "/v1/items", headers: { "x-api-key": ledgerKey } }))).status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      description: "the gate to accept the ledger's key",
    });
    await waitFor(async () => ((await mayCallLedger(`spiffe://cluster.local/ns/${victimNs}/sa/teller`)) ? true : undefined), { timeoutMs: 30_000, description: "the ledger's policy rendered" });
  }, 240_000);

  afterAll(async () => {
    checks?.close();
    await gate?.stop();
    await operator?.stop();
    mallory?.close();
    if (admin) await Promise.all([deleteNamespace(admin, victimNs), deleteNamespace(admin, attackerNs)]);
    admin?.close();
  });

  describe("a namespace user", () => {
    it("cannot move their namespace into another tenant, nor touch another namespace", async () => {
      expect(await refusedWith(mallory.mergePatch(resources.namespace, attackerNs, undefined, { metadata: { labels: { [TENANT_LABEL]: victimTenant } } }, "mallory"))).toBe(403);
      expect(await refusedWith(mallory.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "plant", namespace: victimNs }, spec: {} }))).toBe(403);
    }, ATTACK_MS);

    it("gains nothing by claiming another tenant: the claim is not verified and no Allow of that tenant admits the engine", async () => {
      await mallory.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "spy", namespace: attackerNs }, spec: { tenant: victimTenant, workloadSelector: { matchLabels: { app: "spy" } } } });
      const spy = await waitForObject(mallory, resources.engineIdentity, "spy", attackerNs, (o) => conditionOf(o, "TenantVerified")?.status === "False", "the claim refused");
      expect(conditionOf(spy, "TenantVerified")?.reason).toBe("TenantMismatch");
      expect((spy.status as { tenant?: string }).tenant).toBeUndefined();
      // Give the operator every chance to (wrongly) re-render the victim's policy.
      await operator.operator.idle();
      expect(await mayCallLedger(malloryEngine)).toBe(false);
      expect(await mayCallLedger(`spiffe://cluster.local/ns/${victimNs}/sa/teller`)).toBe(true);
    }, ATTACK_MS);

    it("gets no certificate for another namespace's names, from another issuer, or for longer than allowed", async () => {
      const attempts: Array<[string, Record<string, unknown>, string]> = [
        ["names", { dnsNames: [`*.${victimNs}.svc.cluster.local`, "kubernetes.default.svc"] }, "DNSNameNotAllowed"],
        ["outside", { dnsNames: ["login.example.com"] }, "DNSNameNotAllowed"],
        ["issuer", { issuerRef: { name: "someone-elses-ca", kind: "ClusterIssuer" } }, "IssuerNotAllowed"],
        ["decade", { duration: "87600h" }, "DurationNotAllowed"],
      ];
      for (const [name, certificate] of attempts) {
        // Where the chart's admission policy is installed it refuses these at once; the
        // operator must refuse them on its own too (an admission policy can be removed).
        await mallory.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: `cert-${name}`, namespace: attackerNs }, spec: { certificate } });
      }
      for (const [name, , reason] of attempts) {
        const identity = await waitForObject(mallory, resources.engineIdentity, `cert-${name}`, attackerNs, (o) => conditionOf(o, "CertificateReady")?.reason === reason, `cert-${name} ${reason}`);
        expect(conditionOf(identity, "CertificateReady")?.status).toBe("False");
        expect(await getOrUndefined(admin, resources.certificate, `cert-${name}-svid`, attackerNs)).toBeUndefined();
      }
    }, ATTACK_MS);

    it("cannot switch off or fight the namespace baseline with names like the operator's own", async () => {
      const since = new Date().toISOString();
      await mallory.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "strict", namespace: attackerNs }, spec: { workloadSelector: { matchLabels: { app: "strict" } } } });
      await mallory.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "strict-callers", namespace: attackerNs }, spec: { targetIdentity: "strict", mtls: "Permissive", rules: [{ from: [{ identity: { name: "spy" } }] }] } });
      await mallory.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "default-deny", namespace: attackerNs }, spec: { rules: [{ from: [{ namespace: attackerNs }] }] } });
      expect(await refusedWith(mallory.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "nexus.default-deny", namespace: attackerNs }, spec: { rules: [{ from: [{ namespace: attackerNs }] }] } }))).toBe(422);
      await waitForObject(mallory, resources.accessPolicy, "default-deny", attackerNs, (o) => conditionOf(o, "Ready")?.status === "True", "default-deny Ready");
      await operator.operator.idle();
      // The baseline stands: allow-nothing and namespace-wide STRICT mTLS.
      const baseline = await admin.get<KubeObject & { spec: Record<string, unknown> }>(resources.peerAuthentication, "nexus.strict-mtls", attackerNs);
      expect(baseline.spec).toMatchObject({ mtls: { mode: "STRICT" } });
      expect(baseline.spec.selector).toBeUndefined();
      const denyAll = await admin.get<KubeObject & { spec: Record<string, unknown> }>(resources.authorizationPolicy, "nexus.default-deny", attackerNs);
      expect(denyAll.metadata.labels?.["security.nexus.io/policy"]).toBeUndefined();
      // And nothing is rewritten in a loop: a handful of writes of PeerAuthentications at most.
      const writes = async () =>
        (await readAuditEvents(inject("auditLogPath"))).filter(
          (e) => e.objectRef?.resource === "peerauthentications" && e.objectRef.namespace === attackerNs && e.requestReceivedTimestamp >= since && e.verb !== "get",
        ).length;
      const first = await writes();
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // a window in which a fight would write hundreds of times
      expect(await writes()).toBe(first);
      expect(first).toBeLessThanOrEqual(4);
    }, ATTACK_MS);
  });

  describe("a workload in the mesh", () => {
    it("cannot ask the gate about another engine's requests, nor lock that engine's callers out", async () => {
      const forged = () => checks.check(toLedger({ path: "/v1/items", headers: { "x-api-key": newKey("guess") } }), { xfcc: sidecarXfccFor(malloryEngine) });
      const statuses = new Set<number>();
      for (let i = 0; i < 3 * FAILURES; i++) statuses.add((await forged()).status);
      expect([...statuses].every((s) => s === 403 || s === 429)).toBe(true);
      // A valid key in a forged Check is no oracle either.
      const withValidKey = await checks.check(toLedger({ path: "/v1/items", headers: { "x-api-key": ledgerKey } }), { xfcc: sidecarXfccFor(malloryEngine) });
      expect(withValidKey.status).not.toBe(200);
      // The ledger's own proxy: its callers are untouched.
      expect((await checks.check(toLedger({ path: "/v1/items", headers: { "x-api-key": ledgerKey } }))).status).toBe(200);
    }, ATTACK_MS);

    it("cannot pick the policy with Host: a Check with no destination principal is refused", async () => {
      const answer = await checks.check({ host: `ledger.${victimNs}.svc.cluster.local:8080`, path: "/v1/items", headers: { "x-api-key": ledgerKey } }, { xfcc: sidecarXfccFor(ledger) });
      expect(answer.status).toBe(403);
    }, ATTACK_MS);
  });

  describe("an internet client behind the ingress gateway", () => {
    it("locks out only itself with bad keys, whatever it writes in x-forwarded-for; valid keys always pass", async () => {
      // No load balancer in front: the gateway appends the address it saw, the rightmost entry;
      // whatever the client wrote stands to its left.
      const viaGateway = (address: string, key: string, written: string) =>
        toLedger({ path: "/v1/items", peerCertificatePem: gatewaySvid, headers: { "x-api-key": key, "x-forwarded-for": `${written}, ${address}` } });
      const statuses = [];
      for (let i = 0; i < FAILURES + 6; i++) statuses.push((await checks.check(viaGateway("203.0.113.9", newKey("guess"), `192.0.2.${i}`))).status);
      expect(statuses.slice(0, FAILURES)).toEqual(Array(FAILURES).fill(401));
      expect(statuses.slice(FAILURES)).toEqual(Array(6).fill(429));
      expect((await checks.check(viaGateway("198.51.100.23", ledgerKey, "203.0.113.9"))).status).toBe(200);
      expect((await checks.check(viaGateway("203.0.113.9", ledgerKey, "1.1.1.1"))).status).toBe(200);
    }, ATTACK_MS);
  });
});
