// The order between policies at a waypoint, forced where it used to be left to chance: each
// policy is written by its own reconcile, so an Allow could admit the waypoint at ztunnel
// while another policy's Deny was still on its way there (the data-plane migration test
// caught that once in CI). Here the Deny is kept from being written (its name is taken), and
// the Allow's callers must never get through the waypoint past it; and the other way round,
// a Deny's guard at the waypoint must stay while an Allow of the same Service is still
// served through it (held there by a finalizer), but not when the policy's own edit drops it.
// The live AuthorizationPolicies are judged after every watch event.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { evaluateRequest, type AuthorizationPolicyObject } from "../../operator/evaluate/index.js";
import { PolicyReason } from "../../operator/access/reasons.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { judgeLivePolicies } from "../support/live-policies.js";
import { adminClient, conditionOf, createNamespace, deleteNamespace, getOrUndefined, hasCondition, uniqueName, waitForGone, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { waypointGateway } from "../support/waypoint.js";

const API = "security.nexus.io/v1alpha1";
const FINALIZER = "test.nexus.io/hold";

describe("the waypoint hand-off between an Allow and another policy's Deny", () => {
  let admin: KubeClient;
  let running: TestOperator;
  const namespaces: string[] = [];

  beforeAll(async () => {
    admin = adminClient(inject("kubeconfig"));
    running = await startTestOperator(inject("kubeconfig"));
  });

  afterAll(async () => {
    await running?.stop();
    if (admin) for (const ns of namespaces) await deleteNamespace(admin, ns);
    admin?.close();
  });

  /** An ambient namespace served by a waypoint, with ledger (its Service), web and batch. */
  async function ambientNamespace(prefix: string): Promise<string> {
    const ns = uniqueName(prefix);
    namespaces.push(ns);
    await createNamespace(admin, ns, { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
    for (const name of ["ledger", "web", "batch"]) {
      await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace: ns }, spec: { workloadSelector: { matchLabels: { app: name } } } });
    }
    await admin.create({ apiVersion: "v1", kind: "Service", metadata: { name: "ledger", namespace: ns }, spec: { selector: { app: "ledger" }, ports: [{ port: 8080 }] } });
    await admin.create(waypointGateway(ns, "waypoint"));
    return ns;
  }

  const readers = (ns: string): KubeObject => ({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "ledger-readers", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }] } });
  const noAdmin = (ns: string): KubeObject => ({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "no-admin", namespace: ns }, spec: { targetIdentity: "ledger", action: "Deny", rules: [{ from: [{ identity: { name: "web" } }], to: [{ paths: ["/admin"] }] }] } });

  /** Whether the live objects let `caller` through the waypoint to ledger (and ztunnel behind it). */
  function throughWaypoint(ns: string, live: Map<string, KubeObject>, caller: string, method: string, path: string): boolean {
    return evaluateRequest([...live.values()] as unknown as AuthorizationPolicyObject[], {
      dataPlane: "ambient",
      waypoint: { principal: `cluster.local/ns/${ns}/sa/waypoint`, service: "ledger" },
      source: { principal: `cluster.local/ns/${ns}/sa/${caller}` },
      workload: { namespace: ns, labels: { app: "ledger" } },
      operation: { method, path, port: 8080 },
    }).allowed;
  }

  /** Judges every state of the namespace's AuthorizationPolicies: web's /admin and batch never get through the waypoint. */
  async function judged(ns: string) {
    const live = new Map<string, KubeObject>();
    const violations: string[] = [];
    const watch = await judgeLivePolicies(inject("kubeconfig"), admin, ns, live, () => {
      for (const [caller, method, path] of [["web", "GET", "/admin"], ["batch", "GET", "/entries"]] as const) {
        if (throughWaypoint(ns, live, caller, method, path)) violations.push(`${caller} ${method} ${path} through the waypoint with ${[...live.keys()].sort().join(", ")}`);
      }
    });
    return { live, violations, watch };
  }

  it("an Allow does not admit the waypoint at ztunnel while another policy's Deny of the same Service is not written there, and does once it is", async () => {
    const ns = await ambientNamespace("handoff-in");
    // Someone else's object under the name the Deny renders at the waypoint: the Deny cannot be written there.
    await admin.create({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "nexus-no-admin.waypoint", namespace: ns, labels: { "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/policy": "someone-else" } },
      spec: { action: "DENY", rules: [{ from: [{ source: { principals: ["cluster.local/ns/elsewhere/sa/nobody"] } }] }], targetRefs: [{ group: "", kind: "Service", name: "unrelated" }] },
    });
    const { live, violations, watch } = await judged(ns);
    try {
      await admin.create(noAdmin(ns));
      await admin.create(readers(ns));
      await waitForObject(admin, resources.accessPolicy, "no-admin", ns, (o) => hasCondition(o, "Rendered", "False", PolicyReason.NameTaken), "no-admin NameTaken");
      const held = await waitForObject(admin, resources.accessPolicy, "ledger-readers", ns, (o) => hasCondition(o, "Rendered", "False", PolicyReason.WaypointHandoffPending), "ledger-readers held at the waypoint");
      expect(conditionOf(held, "Rendered")?.message).toContain("AccessPolicy no-admin");
      expect(hasCondition(held, "Ready", "False")).toBe(true);
      // Its waypoint shard and its ztunnel shard are written, the latter without the waypoint.
      await waitForObject(admin, resources.authorizationPolicy, "nexus-ledger-readers.ztunnel", ns, () => true, "ledger-readers' ztunnel shard");
      expect(live.has("nexus-ledger-readers.waypoint")).toBe(true);
      expect(throughWaypoint(ns, live, "web", "GET", "/entries")).toBe(false);

      // The name is freed; a touch of the Deny has it written at once (rather than at its next retry).
      await admin.delete(resources.authorizationPolicy, "nexus-no-admin.waypoint", ns);
      await admin.mergePatch(resources.accessPolicy, "no-admin", ns, { metadata: { labels: { touched: "yes" } } }, "nexus-test");
      await waitForObject(admin, resources.accessPolicy, "no-admin", ns, (o) => hasCondition(o, "Ready", "True"), "no-admin Ready");
      await waitForObject(admin, resources.accessPolicy, "ledger-readers", ns, (o) => hasCondition(o, "Ready", "True"), "ledger-readers Ready once the Deny is at the waypoint");
      await waitForObject(admin, resources.authorizationPolicy, "nexus-ledger-readers.ztunnel", ns, () => throughWaypoint(ns, live, "web", "GET", "/entries"), "web's GET admitted through the waypoint");
    } finally {
      watch.stop();
    }
    expect(violations).toEqual([]);
  });

  it("a Deny keeps its guard at the waypoint while an Allow of the same Service is still served through it, and removes it after", async () => {
    const ns = await ambientNamespace("handoff-out");
    await admin.create(noAdmin(ns));
    await admin.create(readers(ns));
    for (const name of ["no-admin", "ledger-readers"]) await waitForObject(admin, resources.accessPolicy, name, ns, (o) => hasCondition(o, "Ready", "True"), `${name} Ready`);
    const { violations, watch } = await judged(ns);
    try {
      // The Allow's waypoint shard outlives its deletion for as long as this finalizer stays.
      await admin.mergePatch(resources.authorizationPolicy, "nexus-ledger-readers.waypoint", ns, { metadata: { finalizers: [FINALIZER] } }, "nexus-test");
      // Back to sidecars: both policies drop their ambient form.
      await admin.mergePatch(resources.namespace, ns, undefined, { metadata: { labels: { "istio.io/dataplane-mode": null } } }, "nexus-test");
      await waitForObject(admin, resources.authorizationPolicy, "nexus-ledger-readers.waypoint", ns, (o) => o.metadata.deletionTimestamp !== undefined, "the Allow's waypoint shard deleted, held by the finalizer");
      // The Deny's own pass is over (its sidecar form written, its ztunnel shard removed), and its guard stayed.
      await waitForObject(admin, resources.authorizationPolicy, "nexus-no-admin", ns, () => true, "no-admin's sidecar form");
      await waitForGone(admin, resources.authorizationPolicy, "nexus-no-admin.ztunnel", ns);
      expect(await getOrUndefined(admin, resources.authorizationPolicy, "nexus-no-admin.waypoint", ns)).toBeDefined();

      await admin.mergePatch(resources.authorizationPolicy, "nexus-ledger-readers.waypoint", ns, { metadata: { finalizers: null } }, "nexus-test");
      await waitForGone(admin, resources.authorizationPolicy, "nexus-no-admin.waypoint", ns);
    } finally {
      watch.stop();
    }
    expect(violations).toEqual([]);
  });

  it("a guard a policy drops by an edit goes at once, even while another Allow is served through the waypoint", async () => {
    const ns = await ambientNamespace("handoff-edit");
    const tokenHolders = (requireJWT: boolean): KubeObject => ({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "token-holders", namespace: ns },
      spec: { targetIdentity: "ledger", authentication: { requireJWT, jwt: [{ issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks.json" }] }, rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["POST"] }] }] },
    });
    await admin.create(readers(ns));
    await admin.create(tokenHolders(true));
    for (const name of ["ledger-readers", "token-holders"]) await waitForObject(admin, resources.accessPolicy, name, ns, (o) => hasCondition(o, "Ready", "True"), `${name} Ready`);
    expect(await getOrUndefined(admin, resources.authorizationPolicy, "nexus-token-holders.jwt.waypoint", ns)).toBeDefined();
    // The waypoint still serves ledger and ledger-readers is still served through it: the edit is what counts.
    await admin.mergePatch(resources.accessPolicy, "token-holders", ns, { spec: { authentication: { requireJWT: false } } }, "nexus-test");
    await waitForGone(admin, resources.authorizationPolicy, "nexus-token-holders.jwt.waypoint", ns, 5_000);
    expect(await getOrUndefined(admin, resources.authorizationPolicy, "nexus-ledger-readers.waypoint", ns)).toBeDefined();
  });
});
