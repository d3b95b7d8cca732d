import { describe, expect, it } from "vitest";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { GateIndex } from "./gate-index.js";
import { WaypointWorld } from "./testing/waypoint-world.js";
import type { WaypointAnswer } from "./who-may-ask.js";

const NS = "shop";
const AMBIENT = { "istio.io/dataplane-mode": "ambient" };
const WAYPOINT = `spiffe://cluster.local/ns/${NS}/sa/waypoint`;
const LEDGER_IP = "10.96.0.10";
const ORDERS_IP = "10.96.0.11";
const sha = (i: number) => i.toString(16).padStart(64, "0");

function identity(name: string, serviceAccountName?: string): EngineIdentity {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace: NS }, spec: { workloadSelector: { matchLabels: { app: name } }, ...(serviceAccountName ? { serviceAccountName } : {}) } };
}

function gated(name: string, targetIdentity: string | undefined, key: number): AccessPolicy {
  return {
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "AccessPolicy",
    metadata: { name, namespace: NS },
    spec: { ...(targetIdentity ? { targetIdentity } : {}), authentication: { apiKeys: { keys: [{ id: `k${key}`, sha256: sha(key) }] } }, rules: [{ from: [{ apiKey: { id: `k${key}` } }] }] },
  };
}

/** shop: ambient, its namespace using waypoint "waypoint"; ledger and orders each with a gated policy and a Service of their own. */
function shop() {
  const index = new GateIndex("cluster.local");
  for (const name of ["ledger", "orders"]) index.setIdentity(identity(name));
  index.setPolicy(gated("ledger-callers", "ledger", 1));
  index.setPolicy(gated("orders-callers", "orders", 2));
  index.recompileAll();
  const world = new WaypointWorld(index)
    .setNamespace(NS, { ...AMBIENT, "istio.io/use-waypoint": "waypoint" })
    .setGateway(NS, "waypoint")
    .setService(NS, { name: "ledger", labels: {}, selector: { app: "ledger" }, clusterIPs: [LEDGER_IP] })
    .setService(NS, { name: "orders", labels: {}, selector: { app: "orders" }, clusterIPs: [ORDERS_IP] });
  return { index, world, ask: (sender: string, address: string | undefined) => world.waypoints.ask(sender, address) };
}

const policiesOf = (answer: WaypointAnswer | undefined) => (answer?.served ? answer.target.policies.map((p) => p.name) : undefined);

describe("WaypointDestinations: what a waypoint's Check is about", () => {
  it("takes the Service at the destination address as the destination, decided by the gated policies bound to it on that waypoint", () => {
    const { ask } = shop();
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: true, service: `${NS}/ledger`, target: { ambiguous: false } });
    expect(policiesOf(ask(WAYPOINT, LEDGER_IP))).toEqual(["ledger-callers"]);
    expect(policiesOf(ask(WAYPOINT, ORDERS_IP))).toEqual(["orders-callers"]);
  });

  it("is not asked about senders that are no waypoint: a sidecar, a Gateway of another class, a SPIFFE ID of another trust domain", () => {
    const { world, ask } = shop();
    expect(ask(`spiffe://cluster.local/ns/${NS}/sa/ledger`, LEDGER_IP)).toBeUndefined();
    world.setGateway(NS, "ingress", { gatewayClassName: "istio" });
    expect(ask(`spiffe://cluster.local/ns/${NS}/sa/ingress`, LEDGER_IP)).toBeUndefined();
    expect(ask(`spiffe://other.example/ns/${NS}/sa/waypoint`, LEDGER_IP)).toBeUndefined();
    expect(ask(`cluster.local/ns/${NS}/sa/waypoint`, LEDGER_IP)).toBeUndefined();
  });

  it("knows a waypoint by the service account its Gateway names (gateway.istio.io/service-account), else by the Gateway's name", () => {
    const { world, ask } = shop();
    world.setGateway(NS, "waypoint", { serviceAccount: "waypoint-sa" });
    expect(ask(WAYPOINT, LEDGER_IP)).toBeUndefined();
    expect(ask(`spiffe://cluster.local/ns/${NS}/sa/waypoint-sa`, LEDGER_IP)).toMatchObject({ served: true, service: `${NS}/ledger` });
  });

  it("refuses a waypoint that does not serve the Service: another waypoint, one the Service opted out of, one for workloads only", () => {
    const { world, ask } = shop();
    world.setGateway(NS, "other");
    const other = `spiffe://cluster.local/ns/${NS}/sa/other`;
    expect(ask(other, LEDGER_IP)).toMatchObject({ served: false, service: `${NS}/ledger` });
    // orders now names "other" on its own Service: only "other" serves it, "waypoint" still serves ledger.
    world.setService(NS, { name: "orders", labels: { "istio.io/use-waypoint": "other" }, selector: { app: "orders" }, clusterIPs: [ORDERS_IP] });
    expect(ask(WAYPOINT, ORDERS_IP)).toMatchObject({ served: false });
    expect(policiesOf(ask(other, ORDERS_IP))).toEqual(["orders-callers"]);
    expect(policiesOf(ask(WAYPOINT, LEDGER_IP))).toEqual(["ledger-callers"]);
    world.setService(NS, { name: "orders", labels: { "istio.io/use-waypoint": "none" }, selector: { app: "orders" }, clusterIPs: [ORDERS_IP] });
    expect(ask(other, ORDERS_IP)).toMatchObject({ served: false });
    world.setGateway(NS, "waypoint", { labels: { "istio.io/waypoint-for": "workload" } });
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
  });

  it("stops accepting a waypoint once its Gateway is deleted or the label naming it is removed", () => {
    const removedGateway = shop();
    removedGateway.world.deleteGateway(NS, "waypoint");
    expect(removedGateway.ask(WAYPOINT, LEDGER_IP)).toBeUndefined();
    const removedLabel = shop();
    expect(removedLabel.ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: true });
    removedLabel.world.setNamespace(NS, AMBIENT);
    expect(removedLabel.ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
    const leftAmbient = shop();
    leftAmbient.world.setNamespace(NS, { "istio.io/use-waypoint": "waypoint" });
    expect(leftAmbient.ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
  });

  it("serves a Service of another namespace only when that namespace names the waypoint (istio.io/use-waypoint-namespace)", () => {
    const { world, ask } = shop();
    world.setNamespace("mesh", {}).setGateway("mesh", "shared");
    const shared = "spiffe://cluster.local/ns/mesh/sa/shared";
    expect(ask(shared, LEDGER_IP)).toMatchObject({ served: false });
    world.setNamespace(NS, { ...AMBIENT, "istio.io/use-waypoint": "shared", "istio.io/use-waypoint-namespace": "mesh" });
    expect(policiesOf(ask(shared, LEDGER_IP))).toEqual(["ledger-callers"]);
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
  });

  it("refuses an address no Service has, an address two Services claim, and a Check without an address", () => {
    const { world, ask } = shop();
    expect(ask(WAYPOINT, "10.96.0.99")).toMatchObject({ served: false });
    expect(ask(WAYPOINT, undefined)).toMatchObject({ served: false });
    world.setService(NS, { name: "ledger-copy", labels: {}, selector: { app: "ledger", copy: "yes" }, clusterIPs: [LEDGER_IP] });
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
    world.deleteService(NS, "ledger-copy");
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: true });
    world.deleteService(NS, "ledger");
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
  });

  it("finds a Service by any spelling of its IPv6 cluster IP", () => {
    const { world, ask } = shop();
    world.setService(NS, { name: "ledger", labels: {}, selector: { app: "ledger" }, clusterIPs: [LEDGER_IP, "fd00:10:96:0:0:0:0:a"] });
    expect(ask(WAYPOINT, "fd00:10:96::a")).toMatchObject({ served: true, service: `${NS}/ledger` });
    expect(ask(WAYPOINT, "FD00:10:96::A")).toMatchObject({ served: true, service: `${NS}/ledger` });
  });

  it("binds a namespace-wide gated policy only where the renderer does: every Service of the namespace uses the waypoint", () => {
    const { index, world, ask } = shop();
    index.setPolicy(gated("everyone", undefined, 3));
    expect(policiesOf(ask(WAYPOINT, LEDGER_IP))?.sort()).toEqual(["everyone", "ledger-callers"]);
    world.setGateway(NS, "other").setService(NS, { name: "orders", labels: { "istio.io/use-waypoint": "other" }, selector: { app: "orders" }, clusterIPs: [ORDERS_IP] });
    expect(policiesOf(ask(WAYPOINT, LEDGER_IP))).toEqual(["ledger-callers"]);
  });

  it("drops a target's policy while a Service that also fronts other pods reaches it (the renderer trusts no waypoint then)", () => {
    const { world, ask } = shop();
    world.setService(NS, { name: "everything", labels: {}, selector: { tier: "backend" }, clusterIPs: ["10.96.0.12"] });
    // "everything" may select ledger's pods (no label of ledger's contradicts it): no waypoint is trusted for ledger.
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
  });

  it("answers an ambiguous target when a bound policy's engine shares its service account", () => {
    const { index, ask } = shop();
    index.setIdentity(identity("ledger", "shared"));
    index.setIdentity(identity("twin", "shared"));
    index.recompilePending();
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: true, target: { ambiguous: true, policies: [] } });
  });

  it("answers from the policies as they are now: a policy added or removed after an answer was given", () => {
    const { index, ask } = shop();
    expect(policiesOf(ask(WAYPOINT, LEDGER_IP))).toEqual(["ledger-callers"]);
    index.setPolicy(gated("ledger-callers", "ledger", 1), true);
    expect(ask(WAYPOINT, LEDGER_IP)).toMatchObject({ served: false });
    index.setPolicy(gated("ledger-more", "ledger", 4));
    expect(policiesOf(ask(WAYPOINT, LEDGER_IP))).toEqual(["ledger-more"]);
  });
});
