// Ambient data plane, against the real apiserver with the real Istio and Gateway API CRDs:
// the operator detects which data plane runs a target from namespace labels, Services and
// waypoint Gateways (read only), re-renders when they change, and reads back what Istio
// writes into the status of what it rendered. Status is written here as istiod writes it:
// server-side apply on the status subresource, with istiod's own field managers.
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { WAYPOINT_BOUND, ZTUNNEL_ACCEPTED } from "../../operator/access/istio-verdicts.js";
import { evaluateRequest, type AuthorizationPolicyObject } from "../../operator/evaluate/index.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources, type ResourceType } from "../../operator/runtime/resources.js";
import { rawRequest } from "../controlplane/raw-request.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, conditionOf, createNamespace, deleteNamespace, eventsFor, hasCondition, uniqueName, waitForEvent, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { waypointGateway } from "../support/waypoint.js";

const API = "security.nexus.io/v1alpha1";
const AMBIENT = { "istio.io/dataplane-mode": "ambient" };
// istiod's field managers (pilot/pkg/serviceregistry/ambient: statusqueue.Register names).
const ZTUNNEL_POLICY_MANAGER = "istio-ambient-ztunnel-policy";
const SERVICE_MANAGER = "istio-ambient-service";

type Status = KubeObject & { status?: { rendered?: Array<{ kind: string; name: string }>; conditions?: Array<{ type: string; status: string; reason: string; message: string }> } };

function identity(namespace: string, name: string): KubeObject {
  return { apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace }, spec: { workloadSelector: { matchLabels: { app: name } } } };
}

function policy(namespace: string, name: string, rules: unknown[]): KubeObject {
  return { apiVersion: API, kind: "AccessPolicy", metadata: { name, namespace }, spec: { targetIdentity: "ledger", rules } };
}

function service(namespace: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace, labels }, spec: { selector: { app: name }, ports: [{ name: "http", port: 8080 }] } };
}

/** What istiod does: server-side apply of status.conditions on the status subresource, under its own field manager. */
async function istiodWritesStatus(kc: KubeConfig, type: ResourceType, namespace: string, name: string, fieldManager: string, conditions: unknown[]): Promise<void> {
  const prefix = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const path = `${prefix}/namespaces/${namespace}/${type.plural}/${name}/status?fieldManager=${fieldManager}&force=true`;
  const body = { apiVersion: type.apiVersion, kind: type.kind, metadata: { name, namespace }, status: { conditions } };
  const response = await rawRequest(kc, "PATCH", path, { contentType: "application/apply-patch+yaml", data: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`status apply of ${type.kind} ${namespace}/${name}: HTTP ${response.status} ${response.body}`);
}

/** The AuthorizationPolicies a policy's status says it rendered, read from the apiserver. */
async function renderedPolicies(client: KubeClient, namespace: string, name: string): Promise<AuthorizationPolicyObject[]> {
  const ap = await client.get<Status>(resources.accessPolicy, name, namespace);
  const names = (ap.status?.rendered ?? []).filter((r) => r.kind === "AuthorizationPolicy").map((r) => r.name);
  return (await Promise.all(names.map((n) => client.get<KubeObject>(resources.authorizationPolicy, n, namespace)))) as unknown as AuthorizationPolicyObject[];
}

const principal = (namespace: string, sa: string) => `cluster.local/ns/${namespace}/sa/${sa}`;

describe("ambient data plane: detection, WaypointRequired and Istio's read-back", () => {
  let admin: KubeClient;
  let kc: KubeConfig;
  let running: TestOperator;
  const ns = uniqueName("ambient");
  const sidecarNs = uniqueName("sidecar");

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await createNamespace(admin, ns, AMBIENT);
    await createNamespace(admin, sidecarNs);
    for (const namespace of [ns, sidecarNs]) {
      await admin.create(identity(namespace, "ledger"));
      await admin.create(identity(namespace, "web"));
      await admin.create(service(namespace, "ledger"));
    }
    running = await startTestOperator(kubeconfig);
  });

  afterAll(async () => {
    await running?.stop();
    if (admin) for (const namespace of [ns, sidecarNs]) await deleteNamespace(admin, namespace);
    admin?.close();
  });

  it("watches Services and waypoint Gateways (the Gateway API is served here)", () => {
    expect(running.operator.caches.services.availability).toBe("served");
    expect(running.operator.caches.gateways.availability).toBe("served");
    expect(running.operator.caches.services.get("ledger", ns)?.spec).toEqual({ selector: { app: "ledger" } });
  });

  it(
    "an ambient target whose Allow has L7 attributes and no waypoint: WaypointRequired, nothing admitted, an Event naming the label to set",
    async () => {
      await admin.create(policy(ns, "ledger-l7", [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }]));
      const refused = await waitForObject(admin, resources.accessPolicy, "ledger-l7", ns, (o) => hasCondition(o, "Ready", "False", "WaypointRequired"), "WaypointRequired");
      expect(conditionOf(refused, "Rendered")?.reason).toBe("WaypointRequired");
      expect(conditionOf(refused, "Rendered")?.message).toContain("istio.io/use-waypoint");
      const event = await waitForEvent(admin, ns, "ledger-l7", "WaypointRequired");
      expect(event.type).toBe("Warning");
      expect(event.message).toContain("istio.io/use-waypoint");
      // Nothing admitted: no rendered ALLOW names a caller, and the caller's GET is denied.
      const rendered = await renderedPolicies(admin, ns, "ledger-l7");
      const allows = rendered.filter((p) => (p.spec?.action ?? "ALLOW") === "ALLOW");
      expect(allows.flatMap((p) => (p.spec?.rules ?? []).flatMap((r) => (r.from ?? []).flatMap((f) => f.source?.principals ?? [])))).toEqual([]);
      const verdict = evaluateRequest(rendered, { dataPlane: "ambient", source: { principal: principal(ns, "web") }, workload: { namespace: ns, labels: { app: "ledger" } }, operation: { method: "GET", path: "/", port: 8080 } });
      expect(verdict.allowed).toBe(false);
    },
  );

  it("a waypoint added later: the policy is rendered again for it and becomes Ready", async () => {
    await admin.create(waypointGateway(ns, "waypoint"));
    await admin.mergePatch(resources.namespace, ns, undefined, { metadata: { labels: { "istio.io/use-waypoint": "waypoint" } } }, "nexus-test");
    const ready = await waitForObject(admin, resources.accessPolicy, "ledger-l7", ns, (o) => hasCondition(o, "Ready", "True"), "Ready with a waypoint", 60_000);
    expect(conditionOf(ready, "Rendered")?.status).toBe("True");
    // The L7 rule now sits on the waypoint (targetRefs to the target's Service) with the caller's principal.
    const rendered = await renderedPolicies(admin, ns, "ledger-l7");
    const atWaypoint = rendered.filter((p) => ((p.spec as { targetRefs?: Array<{ kind: string; name: string }> } | undefined)?.targetRefs ?? []).some((t) => t.kind === "Service" && t.name === "ledger"));
    expect(atWaypoint.length).toBeGreaterThan(0);
    expect(JSON.stringify(atWaypoint)).toContain(principal(ns, "web"));
    // As the mesh would decide: through the waypoint the GET is admitted and nothing else; around it, nothing.
    const call = (method: string, viaWaypoint: boolean) =>
      evaluateRequest(rendered, {
        dataPlane: "ambient",
        ...(viaWaypoint ? { waypoint: { principal: principal(ns, "waypoint"), service: "ledger" } } : {}),
        source: { principal: principal(ns, "web") },
        workload: { namespace: ns, labels: { app: "ledger" } },
        operation: { method, path: "/", port: 8080 },
      }).allowed;
    expect(call("GET", true)).toBe(true);
    expect(call("POST", true)).toBe(false);
    expect(call("GET", false)).toBe(false);
  });

  it("Istio's ZtunnelAccepted=False on a rendered AuthorizationPolicy becomes Rendered=False with Istio's reason and words, and istiod's status is left alone", async () => {
    // L4 only: ztunnel enforces it whether or not a waypoint serves the target.
    await admin.create(policy(ns, "ledger-l4", [{ from: [{ identity: { name: "web" } }] }]));
    await waitForObject(admin, resources.accessPolicy, "ledger-l4", ns, (o) => hasCondition(o, "Ready", "True"), "ledger-l4 Ready");
    const [first] = (await renderedPolicies(admin, ns, "ledger-l4")).filter((p) => (p.spec as { selector?: unknown } | undefined)?.selector !== undefined);
    const name = first!.metadata.name;
    // The ambient form's ztunnel object: the one ztunnel's word is about.
    expect(name).toBe("nexus-ledger-l4.ztunnel");
    const live = await admin.get<KubeObject>(resources.authorizationPolicy, name, ns);
    const istioWords = `found policy "${ns}/${name}" using dry-run annotation, but support for ambient dry-run authorizationPolicies isn't enabled`;
    await istiodWritesStatus(kc, resources.authorizationPolicy, ns, name, ZTUNNEL_POLICY_MANAGER, [
      { type: ZTUNNEL_ACCEPTED, status: "False", reason: "UnsupportedValue", message: istioWords, observedGeneration: live.metadata.generation, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
    ]);
    const objected = await waitForObject(admin, resources.accessPolicy, "ledger-l4", ns, (o) => hasCondition(o, "Rendered", "False", "UnsupportedValue"), "Rendered=False from Istio");
    const message = conditionOf(objected, "Rendered")!.message;
    expect(message).toContain(`AuthorizationPolicy ${ns}/${name}`);
    expect(message).toContain("ZtunnelAccepted=False (UnsupportedValue)");
    expect(message).toContain(istioWords);
    expect(conditionOf(objected, "Ready")?.status).toBe("False");
    const event = await waitForEvent(admin, ns, "ledger-l4", "UnsupportedValue");
    expect(event.type).toBe("Warning");
    expect(event.message).toContain(name);

    // The operator never wrote the rendered object's status: istiod's condition stands, owned by istiod alone.
    await running.operator.idle();
    const after = await admin.get<KubeObject & { metadata: { managedFields?: Array<{ manager: string; subresource?: string }> } }>(resources.authorizationPolicy, name, ns);
    expect((after.status as { conditions: Array<{ type: string }> }).conditions.map((c) => c.type)).toEqual([ZTUNNEL_ACCEPTED]);
    const statusManagers = (after.metadata.managedFields ?? []).filter((f) => f.subresource === "status").map((f) => f.manager);
    expect(statusManagers).toEqual([ZTUNNEL_POLICY_MANAGER]);

    // istiod accepts it: Ready again.
    await istiodWritesStatus(kc, resources.authorizationPolicy, ns, name, ZTUNNEL_POLICY_MANAGER, [
      { type: ZTUNNEL_ACCEPTED, status: "True", reason: "Accepted", message: "attached to ztunnel", observedGeneration: live.metadata.generation, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
    ]);
    await waitForObject(admin, resources.accessPolicy, "ledger-l4", ns, (o) => hasCondition(o, "Ready", "True"), "Ready once Istio accepts");
  });

  it("Istio's word on an older generation of a rendered object is not taken for the current one", async () => {
    const [first] = (await renderedPolicies(admin, ns, "ledger-l4")).filter((p) => (p.spec as { selector?: unknown } | undefined)?.selector !== undefined);
    const name = first!.metadata.name;
    const live = await admin.get<KubeObject>(resources.authorizationPolicy, name, ns);
    await istiodWritesStatus(kc, resources.authorizationPolicy, ns, name, ZTUNNEL_POLICY_MANAGER, [
      { type: ZTUNNEL_ACCEPTED, status: "False", reason: "UnsupportedValue", message: "about an older version", observedGeneration: (live.metadata.generation ?? 1) - 1, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
    ]);
    // Seen by the operator's cache, then every reconcile it caused has run: still Ready.
    await waitFor(async () => ((running.operator.caches.authorizationPolicies.get(name, ns)?.status as { conditions?: unknown[] } | undefined)?.conditions ? true : undefined), {
      timeoutMs: 15_000,
      description: "the operator's cache to hold Istio's condition",
    });
    await running.operator.idle();
    const policyNow = await admin.get<KubeObject>(resources.accessPolicy, "ledger-l4", ns);
    expect(hasCondition(policyNow, "Ready", "True")).toBe(true);
  });

  it("Istio's WaypointBound=False on the target's Service becomes Rendered=False, and clears when Istio binds it", async () => {
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const words = `waypoint ${ns}/missing-waypoint not found`;
    await istiodWritesStatus(kc, resources.service, ns, "ledger", SERVICE_MANAGER, [{ type: WAYPOINT_BOUND, status: "False", reason: "WaypointNotFound", message: words, lastTransitionTime: now() }]);
    const objected = await waitForObject(admin, resources.accessPolicy, "ledger-l4", ns, (o) => hasCondition(o, "Rendered", "False", "WaypointNotFound"), "Rendered=False from WaypointBound");
    expect(conditionOf(objected, "Rendered")!.message).toContain(`Service ${ns}/ledger: istio.io/WaypointBound=False (WaypointNotFound): ${words}`);
    await istiodWritesStatus(kc, resources.service, ns, "ledger", SERVICE_MANAGER, [{ type: WAYPOINT_BOUND, status: "True", reason: "WaypointAccepted", message: `Successfully attached to waypoint ${ns}/waypoint`, lastTransitionTime: now() }]);
    await waitForObject(admin, resources.accessPolicy, "ledger-l4", ns, (o) => hasCondition(o, "Ready", "True"), "Ready once the Service is bound");
  });

  it("a Deny with L7 attributes on an ambient target without waypoint is widened at ztunnel, and the status says so while Ready", async () => {
    const noWaypoint = uniqueName("ambient-nowp");
    await createNamespace(admin, noWaypoint, AMBIENT);
    try {
      await admin.create(identity(noWaypoint, "ledger"));
      await admin.create(identity(noWaypoint, "web"));
      await admin.create(service(noWaypoint, "ledger"));
      await admin.create({ ...policy(noWaypoint, "no-deletes", [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["DELETE"] }] }]), spec: { targetIdentity: "ledger", action: "Deny", rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["DELETE"] }] }] } });
      const widened = await waitForObject(admin, resources.accessPolicy, "no-deletes", noWaypoint, (o) => hasCondition(o, "EnforcedAsWritten", "False", "DenyWidened"), "DenyWidened");
      expect(conditionOf(widened, "Ready")?.status).toBe("True");
      expect(conditionOf(widened, "EnforcedAsWritten")?.message).toContain("istio.io/use-waypoint");
      await waitForEvent(admin, noWaypoint, "no-deletes", "DenyWidened");
      // Wider, never narrower: the caller is denied at ztunnel on every operation.
      const rendered = await renderedPolicies(admin, noWaypoint, "no-deletes");
      const get = evaluateRequest(rendered, { source: { principal: principal(noWaypoint, "web") }, workload: { namespace: noWaypoint, labels: { app: "ledger" } }, operation: { method: "GET", path: "/", port: 8080 } });
      expect(get.allowed).toBe(false);
    } finally {
      await deleteNamespace(admin, noWaypoint);
    }
  });

  it("on a sidecar target ztunnel's word is not read: an L7 rule it would drop is enforced by the sidecar", async () => {
    await admin.create(policy(sidecarNs, "ledger-l7", [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }]));
    await waitForObject(admin, resources.accessPolicy, "ledger-l7", sidecarNs, (o) => hasCondition(o, "Ready", "True"), "sidecar policy Ready");
    const [first] = await renderedPolicies(admin, sidecarNs, "ledger-l7");
    const name = first!.metadata.name;
    const live = await admin.get<KubeObject>(resources.authorizationPolicy, name, sidecarNs);
    await istiodWritesStatus(kc, resources.authorizationPolicy, sidecarNs, name, ZTUNNEL_POLICY_MANAGER, [
      { type: ZTUNNEL_ACCEPTED, status: "True", reason: "UnsupportedValue", message: "ztunnel does not support HTTP attributes (found: methods)", observedGeneration: live.metadata.generation, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
    ]);
    await waitFor(async () => ((running.operator.caches.authorizationPolicies.get(name, sidecarNs)?.status as { conditions?: unknown[] } | undefined)?.conditions ? true : undefined), {
      timeoutMs: 15_000,
      description: "the operator's cache to hold Istio's condition",
    });
    await running.operator.idle();
    expect(hasCondition(await admin.get<KubeObject>(resources.accessPolicy, "ledger-l7", sidecarNs), "Ready", "True")).toBe(true);
    expect((await eventsFor(admin, sidecarNs, "ledger-l7")).some((e) => e.reason === "UnsupportedValue")).toBe(false);
  });
});
