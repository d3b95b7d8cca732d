// The AccessPolicy reconciler against the real apiserver with Istio's real CRDs: rendering,
// live re-rendering on identity changes, drift repair, garbage collection, the namespace
// baseline, and no writes when nothing changed (counted in the apiserver's audit log).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { readAuditEvents, WRITE_VERBS } from "../controlplane/audit.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { waitFor } from "../controlplane/wait.js";
import {
  adminClient,
  conditionOf,
  createNamespace,
  deleteNamespace,
  getOrUndefined,
  hasCondition,
  uniqueName,
  waitForGone,
  waitForObject,
} from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { DEFAULT_DENY_NAME, STRICT_MTLS_NAME, workloadMtlsName } from "../../operator/render/names.js";
import { NO_CALLER_PRINCIPAL } from "../../operator/policy/no-caller.js";
import { contentHashOf, policyHashOf } from "../../operator/render/content-hash.js";
import { isMetadataOnly } from "../../operator/runtime/apply-if-changed.js";

const OPERATOR_USER = "nexus-operator-under-test";

interface IstioSource {
  source: { principals?: string[]; namespaces?: string[] };
}
interface AuthorizationPolicySpec {
  action: string;
  selector?: { matchLabels: Record<string, string> };
  rules?: Array<{ from?: IstioSource[]; to?: unknown[] }>;
}

function principalsOf(ap: KubeObject): string[] {
  const spec = ap.spec as AuthorizationPolicySpec;
  return (spec.rules ?? []).flatMap((r) => (r.from ?? []).flatMap((f) => f.source.principals ?? []));
}

function identity(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace }, spec };
}

function policy(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name, namespace }, spec };
}

describe("AccessPolicy reconciler", () => {
  let client: KubeClient;
  let running: TestOperator;
  const ns = uniqueName("ap");
  const other = uniqueName("ap-other");
  // Tenants are cluster-wide: one of this run's own, so no other suite's engines (or claims) join it.
  const acme = uniqueName("acme");

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns, { "security.nexus.io/tenant": acme });
    await createNamespace(client, other);
    // Its own user, so the audit log tells its writes from the test's.
    const operatorKubeconfig = await credentialsFor(inject("controlPlane")).mintUserKubeconfig(OPERATOR_USER, ["system:masters"]);
    running = await startTestOperator(operatorKubeconfig);
    for (const object of [
      identity(ns, "ledger", { tenant: acme, workloadSelector: { matchLabels: { app: "ledger" } } }),
      identity(ns, "checkout", { tenant: acme, workloadSelector: { matchLabels: { app: "checkout" } } }),
      identity(ns, "billing", { tenant: "globex", serviceAccountName: "billing-engine" }),
      identity(other, "web", { workloadSelector: { matchLabels: { app: "web" } } }),
      policy(ns, "ledger-callers", {
        targetIdentity: "ledger",
        rules: [
          {
            from: [{ tenant: acme }, { identity: { name: "web", namespace: other } }, { identity: { name: "billing" } }, { identity: { name: "ghost" } }],
            to: [{ methods: ["GET", "POST"], paths: ["/v1/entries", "/v1/entries/*"] }],
          },
        ],
      }),
    ]) {
      await client.create(object);
    }
  });

  afterAll(async () => {
    await running?.stop();
    await deleteNamespace(client, ns);
    await deleteNamespace(client, other);
    client?.close();
  });

  it("renders an AuthorizationPolicy that Istio's CRD accepts, with the target's selector and resolved principals", async () => {
    const expected = [`cluster.local/ns/${other}/sa/web`, `cluster.local/ns/${ns}/sa/checkout`, `cluster.local/ns/${ns}/sa/ledger`].sort();
    // The identity and policy watches are separate streams: the policy may first render with
    // the identities seen so far, and is rendered again as each one arrives.
    const ap = await waitForObject(client, resources.authorizationPolicy, "nexus-ledger-callers", ns, (o) => JSON.stringify(principalsOf(o)) === JSON.stringify(expected), "rendered AuthorizationPolicy");
    const spec = ap.spec as AuthorizationPolicySpec;
    expect(spec.action).toBe("ALLOW");
    expect(spec.selector).toEqual({ matchLabels: { app: "ledger" } });
    expect(principalsOf(ap)).toEqual(expected);
    expect(ap.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/policy": "ledger-callers" });
    expect(ap.metadata.ownerReferences?.[0]).toMatchObject({ kind: "AccessPolicy", name: "ledger-callers", controller: true });
    // STRICT is the namespace baseline's already: no workload PeerAuthentication of its own.
    expect(await getOrUndefined(client, resources.peerAuthentication, workloadMtlsName("ledger"), ns)).toBeUndefined();
    expect(await getOrUndefined(client, resources.peerAuthentication, "nexus-ledger-callers", ns)).toBeUndefined();
  });

  it("reports the left-out sources (cross-tenant and missing) in status and stays enforced", async () => {
    const reasons = (o: KubeObject) => ((o.status as { unresolved?: Array<{ reason: string }> } | undefined)?.unresolved ?? []).map((u) => u.reason).join();
    const ap = await waitForObject(client, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Ready", "True") && reasons(o) === "CrossTenant,IdentityNotFound", "policy Ready with its two left-out sources");
    expect(hasCondition(ap, "Resolved", "False", "SourcesUnresolved")).toBe(true);
    expect(hasCondition(ap, "Rendered", "True")).toBe(true);
    const status = ap.status as { policyHash: string; unresolved: Array<{ source: number; reason: string }>; rendered: Array<{ kind: string; name: string }> };
    expect(status.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(status.unresolved.map((u) => [u.source, u.reason])).toEqual([
      [2, "CrossTenant"],
      [3, "IdentityNotFound"],
    ]);
    expect(status.rendered.map((r) => `${r.kind}/${r.name}`)).toEqual(["AuthorizationPolicy/nexus-ledger-callers"]);
    const live = await client.get<KubeObject>(resources.authorizationPolicy, "nexus-ledger-callers", ns);
    // Each object carries the hash of its own content; the policy's version is over those, in its status only.
    expect(live.metadata.annotations?.["security.nexus.io/content-hash"]).toBe(contentHashOf(live));
    expect(live.metadata.annotations?.["security.nexus.io/policy-hash"]).toBeUndefined();
    expect(policyHashOf([live])).toBe(status.policyHash);
  });

  it("writes the namespace baseline: allow-nothing and namespace-wide STRICT mTLS", async () => {
    const deny = await waitForObject(client, resources.authorizationPolicy, DEFAULT_DENY_NAME, ns, () => true, "default-deny baseline");
    expect(deny.spec).toEqual({ rules: [{ from: [{ source: { principals: [NO_CALLER_PRINCIPAL] } }] }] });
    const strict = await waitForObject(client, resources.peerAuthentication, STRICT_MTLS_NAME, ns, () => true, "strict mTLS baseline");
    expect(strict.spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  it("renders one workload PeerAuthentication per target, PERMISSIVE only while every policy of the target says so", async () => {
    await client.create(identity(ns, "migrating", { workloadSelector: { matchLabels: { app: "migrating" } } }));
    await client.create(policy(ns, "migrating-a", { targetIdentity: "migrating", mtls: "Permissive", rules: [{ from: [{ namespace: ns }] }] }));
    await client.create(policy(ns, "migrating-b", { targetIdentity: "migrating", mtls: "Permissive", rules: [{ from: [{ namespace: other }] }] }));
    const permissive = await waitForObject(client, resources.peerAuthentication, workloadMtlsName("migrating"), ns, () => true, "workload PeerAuthentication");
    expect(permissive.spec).toEqual({ selector: { matchLabels: { app: "migrating" } }, mtls: { mode: "PERMISSIVE" } });
    expect(permissive.metadata.ownerReferences?.[0]).toMatchObject({ kind: "EngineIdentity", name: "migrating", controller: true });
    expect(permissive.metadata.labels).toMatchObject({ "security.nexus.io/identity": "migrating", "security.nexus.io/workload-mtls": "true" });
    // One policy of the target back to Strict: the baseline's STRICT holds again, whichever policy is older.
    await client.mergePatch(resources.accessPolicy, "migrating-b", ns, { spec: { mtls: "Strict" } }, "test");
    await waitForGone(client, resources.peerAuthentication, workloadMtlsName("migrating"), ns);
    for (const name of ["migrating-a", "migrating-b"]) await client.delete(resources.accessPolicy, name, ns);
    await client.delete(resources.engineIdentity, "migrating", ns);
  });

  it("re-renders a policy when an identity joins the tenant it names, and when it leaves", async () => {
    await client.create(identity(ns, "payouts", { tenant: acme }));
    const joined = `cluster.local/ns/${ns}/sa/payouts`;
    await waitForObject(client, resources.authorizationPolicy, "nexus-ledger-callers", ns, (o) => principalsOf(o).includes(joined), "new tenant member admitted");
    await client.mergePatch(resources.engineIdentity, "payouts", ns, { spec: { tenant: "globex" } }, "kubectl-edit");
    await waitForObject(client, resources.authorizationPolicy, "nexus-ledger-callers", ns, (o) => !principalsOf(o).includes(joined), "member that changed tenant dropped");
  });

  it("restores a rendered object that someone else edits or deletes", async () => {
    const before = await client.get<KubeObject>(resources.authorizationPolicy, "nexus-ledger-callers", ns);
    // An edit by another field manager that would admit anyone.
    await client.mergePatch(resources.authorizationPolicy, "nexus-ledger-callers", ns, { spec: { rules: [{}] } }, "kubectl-edit");
    await waitForObject(client, resources.authorizationPolicy, "nexus-ledger-callers", ns, (o) => principalsOf(o).length === principalsOf(before).length && (o.spec as AuthorizationPolicySpec).rules?.every((r) => r.from) === true, "edited policy restored");
    await client.delete(resources.authorizationPolicy, "nexus-ledger-callers", ns);
    await waitForObject(client, resources.authorizationPolicy, "nexus-ledger-callers", ns, (o) => o.metadata.uid !== before.metadata.uid && principalsOf(o).length > 0, "deleted policy recreated");
  });

  it("repairs a spec edit that leaves every annotation alone", async () => {
    const name = "nexus-ledger-callers";
    await running.operator.idle();
    const before = await client.get<KubeObject>(resources.authorizationPolicy, name, ns);
    const intruder = "cluster.local/ns/elsewhere/sa/intruder";
    // The content-hash annotation still says what the operator wrote; only the generation tells.
    const edited = await client.mergePatch<KubeObject>(resources.authorizationPolicy, name, ns, { spec: { rules: [{ from: [{ source: { principals: [intruder] } }] }] } }, "kubectl-edit");
    expect(edited.metadata.annotations).toEqual(before.metadata.annotations);
    expect(edited.metadata.generation).toBeGreaterThan(before.metadata.generation!);
    const restored = await waitForObject(client, resources.authorizationPolicy, name, ns, (o) => o.metadata.generation! > edited.metadata.generation! && !principalsOf(o).includes(intruder), "spec edit repaired");
    expect(principalsOf(restored)).toEqual(principalsOf(before));
    expect(contentHashOf(restored)).toBe(before.metadata.annotations?.["security.nexus.io/content-hash"]);
  });

  it("repairs a spec edit of a PeerAuthentication, whose cache watches metadata only", async () => {
    await running.operator.idle();
    const before = await client.get<KubeObject>(resources.peerAuthentication, STRICT_MTLS_NAME, ns);
    const edited = await client.mergePatch<KubeObject>(resources.peerAuthentication, STRICT_MTLS_NAME, ns, { spec: { mtls: { mode: "PERMISSIVE" } } }, "kubectl-edit");
    expect(edited.metadata.annotations).toEqual(before.metadata.annotations);
    const restored = await waitForObject(
      client,
      resources.peerAuthentication,
      STRICT_MTLS_NAME,
      ns,
      (o) => o.metadata.generation! > edited.metadata.generation! && (o.spec as { mtls?: { mode?: string } }).mtls?.mode === "STRICT",
      "PeerAuthentication spec edit repaired",
    );
    expect(contentHashOf(restored)).toBe(before.metadata.annotations?.["security.nexus.io/content-hash"]);
    // What the watch brought was metadata only: the cache never held the edited body.
    const cached = running.operator.caches.peerAuthentications.get(STRICT_MTLS_NAME, ns)!;
    expect(isMetadataOnly(cached)).toBe(true);
    expect(cached.spec).toBeUndefined();
  });

  it("sends no write when nothing changed: not on a forced resync, not after a restart", async () => {
    await running.operator.idle();
    await waitForQuiet(inject("auditLogPath"));
    const before = await operatorWrites(inject("auditLogPath"));
    for (const p of running.operator.caches.policies.list()) running.operator.access.policyController.enqueue(`${p.metadata.namespace}/${p.metadata.name}`);
    for (const i of running.operator.caches.identities.list()) running.operator.identityController.enqueue(`${i.metadata.namespace}/${i.metadata.name}`);
    for (const n of running.operator.caches.namespaces.list()) running.operator.access.baselineController.enqueue(n.metadata.name);
    await running.operator.idle();
    await running.stop();
    const operatorKubeconfig = await credentialsFor(inject("controlPlane")).mintUserKubeconfig(OPERATOR_USER, ["system:masters"]);
    running = await startTestOperator(operatorKubeconfig);
    await running.operator.idle();
    await waitForQuiet(inject("auditLogPath"));
    const after = await operatorWrites(inject("auditLogPath"));
    expect(after.slice(before.length)).toEqual([]);
  });

  it("fails closed: a rule whose every source is unresolved renders no rule at all", async () => {
    await client.create(policy(ns, "only-ghosts", { targetIdentity: "ledger", allowCrossTenant: true, rules: [{ from: [{ identity: { name: "nobody" } }, { tenant: "no-such-tenant" }] }] }));
    const ap = await waitForObject(client, resources.authorizationPolicy, "nexus-only-ghosts", ns, () => true, "fail-closed policy");
    expect((ap.spec as AuthorizationPolicySpec).action).toBe("ALLOW");
    expect((ap.spec as AuthorizationPolicySpec).rules ?? []).toEqual([]);
    const status = await waitForObject(client, resources.accessPolicy, "only-ghosts", ns, (o) => conditionOf(o, "Resolved")?.status === "False", "unresolved status");
    expect((status.status as { unresolved: Array<{ reason: string }> }).unresolved.map((u) => u.reason)).toEqual(["IdentityNotFound", "TenantEmpty"]);
  });

  it("reports a missing target and renders nothing for it", async () => {
    await client.create(policy(ns, "no-target", { targetIdentity: "missing", rules: [{ from: [{ tenant: acme }] }] }));
    const ap = await waitForObject(client, resources.accessPolicy, "no-target", ns, (o) => hasCondition(o, "Ready", "False"), "policy not Ready");
    expect(conditionOf(ap, "Resolved")?.reason).toBe("TargetNotFound");
    expect(await getOrUndefined(client, resources.authorizationPolicy, "nexus-no-target", ns)).toBeUndefined();
  });

  it("removes rendered objects through garbage collection when the policy is deleted", async () => {
    await waitForObject(client, resources.authorizationPolicy, "nexus-only-ghosts", ns, () => true, "rendered policy");
    await client.delete(resources.accessPolicy, "only-ghosts", ns);
    await waitForGone(client, resources.authorizationPolicy, "nexus-only-ghosts", ns, 60_000);
  });

  it("removes the baseline when the namespace opts out, and puts it back when it opts in", async () => {
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: other, labels: { "security.nexus.io/baseline": "disabled" } } });
    await waitForGone(client, resources.authorizationPolicy, DEFAULT_DENY_NAME, other);
    await waitForGone(client, resources.peerAuthentication, STRICT_MTLS_NAME, other);
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: other, labels: {} } });
    await waitForObject(client, resources.authorizationPolicy, DEFAULT_DENY_NAME, other, () => true, "baseline back");
  });

  it("keeps each target STRICT with a workload PeerAuthentication while the namespace opts out of the baseline", async () => {
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "security.nexus.io/baseline": "disabled" } } });
    await waitForGone(client, resources.peerAuthentication, STRICT_MTLS_NAME, ns);
    const strict = await waitForObject(client, resources.peerAuthentication, workloadMtlsName("ledger"), ns, () => true, "per-target STRICT");
    expect(strict.spec).toEqual({ selector: { matchLabels: { app: "ledger" } }, mtls: { mode: "STRICT" } });
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: {} } });
    await waitForObject(client, resources.peerAuthentication, STRICT_MTLS_NAME, ns, () => true, "baseline back");
    await waitForGone(client, resources.peerAuthentication, workloadMtlsName("ledger"), ns);
  });

  it("removes the baseline once the namespace holds no NEXUS object", async () => {
    await waitForObject(client, resources.authorizationPolicy, DEFAULT_DENY_NAME, other, () => true, "baseline present");
    await client.delete(resources.engineIdentity, "web", other);
    await waitForGone(client, resources.authorizationPolicy, DEFAULT_DENY_NAME, other);
    await waitForGone(client, resources.peerAuthentication, STRICT_MTLS_NAME, other);
  });
});

async function operatorWrites(auditLogPath: string): Promise<string[]> {
  return (await readAuditEvents(auditLogPath))
    .filter((e) => e.user.username === OPERATOR_USER && (WRITE_VERBS as readonly string[]).includes(e.verb))
    .map((e) => `${e.verb} ${e.requestURI}`);
}

/** The audit log is written asynchronously; waits until its length stops changing. */
async function waitForQuiet(auditLogPath: string): Promise<void> {
  let last = -1;
  await waitFor(
    async () => {
      const count = (await readAuditEvents(auditLogPath)).length;
      const quiet = count === last;
      last = count;
      return quiet ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 500, description: "audit log to settle" },
  );
}
