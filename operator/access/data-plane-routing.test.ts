import { describe, expect, it } from "vitest";
import type { KubeObject } from "../runtime/kube-client.js";
import { slimGatewayForCache, slimServiceForCache, type CachedGateway, type CachedService } from "./data-plane-cache.js";
import { DataPlaneRouting } from "./data-plane-routing.js";

const AMBIENT = { "istio.io/dataplane-mode": "ambient" };

function world(labels: Record<string, Record<string, string>>, services: Record<string, CachedService[]> = {}) {
  const enqueued: string[] = [];
  const routing = new DataPlaneRouting({
    namespaceLabels: (ns) => labels[ns],
    namespaces: () => Object.keys(labels),
    servicesIn: (ns) => services[ns] ?? [],
    enqueueNamespace: (ns) => enqueued.push(ns),
  });
  return { routing, enqueued, labels };
}

const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const service = (ns: string, name: string, labels: Record<string, string> = {}, selector: Record<string, string> = { app: name }): CachedService => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: ns, labels },
  spec: { selector },
});
const gateway = (ns: string, name: string, gatewayClassName = "istio-waypoint"): CachedGateway => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { name, namespace: ns },
  spec: { gatewayClassName },
});

describe("DataPlaneRouting", () => {
  it("re-renders a namespace when its data-plane labels change, not for other labels or a plain namespace appearing", () => {
    const { routing, enqueued } = world({ team: {} });
    routing.namespaceChanged(namespace("team", { owner: "a" }), "add");
    expect(enqueued).toEqual([]);
    routing.namespaceChanged(namespace("team", { owner: "a", ...AMBIENT }), "update");
    routing.namespaceChanged(namespace("team", { owner: "b", ...AMBIENT }), "update");
    expect(enqueued).toEqual(["team"]);
    routing.namespaceChanged(namespace("team", { ...AMBIENT, "istio.io/use-waypoint": "waypoint" }), "update");
    routing.namespaceChanged(namespace("team", {}), "update");
    expect(enqueued).toEqual(["team", "team", "team"]);
  });

  it("re-renders an ambient namespace when a Service's selector, waypoint label or WaypointBound changes; never a sidecar namespace", () => {
    const { routing, enqueued } = world({ amb: AMBIENT, side: {} });
    routing.serviceChanged(service("side", "web"), "add");
    routing.serviceChanged(service("side", "web", { "istio.io/use-waypoint": "w" }), "update");
    expect(enqueued).toEqual([]);
    routing.serviceChanged(service("amb", "ledger"), "add");
    expect(enqueued).toEqual(["amb"]);
    routing.serviceChanged(service("amb", "ledger"), "update");
    expect(enqueued).toEqual(["amb"]);
    routing.serviceChanged(service("amb", "ledger", { "istio.io/use-waypoint": "w" }), "update");
    routing.serviceChanged(service("amb", "ledger", { "istio.io/use-waypoint": "w" }, { app: "ledger", tier: "db" }), "update");
    routing.serviceChanged({ ...service("amb", "ledger", { "istio.io/use-waypoint": "w" }, { app: "ledger", tier: "db" }), status: { conditions: [{ type: "istio.io/WaypointBound", status: "False" }] } }, "update");
    routing.serviceChanged(service("amb", "ledger"), "delete");
    expect(enqueued).toEqual(["amb", "amb", "amb", "amb", "amb"]);
  });

  it("re-renders the ambient namespaces that name a waypoint when it appears, changes or goes; ignores other Gateways", () => {
    const { routing, enqueued } = world(
      { a: { ...AMBIENT, "istio.io/use-waypoint": "waypoint" }, b: AMBIENT, c: {}, d: { ...AMBIENT, "istio.io/use-waypoint": "other" } },
      { b: [service("b", "api", { "istio.io/use-waypoint": "waypoint", "istio.io/use-waypoint-namespace": "a" })], c: [service("c", "x", { "istio.io/use-waypoint": "waypoint" })] },
    );
    routing.gatewayChanged(gateway("a", "ingress", "istio"), "add");
    expect(enqueued).toEqual([]);
    routing.gatewayChanged(gateway("a", "waypoint"), "add");
    expect(enqueued.sort()).toEqual(["a", "b"]);
    enqueued.length = 0;
    routing.gatewayChanged(gateway("a", "waypoint"), "update");
    expect(enqueued).toEqual([]);
    routing.gatewayChanged(gateway("a", "waypoint", "istio"), "update");
    expect(enqueued.sort()).toEqual(["a", "b"]);
    enqueued.length = 0;
    routing.gatewaysAvailabilityChanged();
    expect(enqueued.sort()).toEqual(["a", "b", "d"]);
  });
});

describe("Service and Gateway cache slimming", () => {
  it("keeps of a Service only the waypoint labels, the selector and Istio's WaypointBound objection", () => {
    const object: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "ledger", namespace: "team", labels: { app: "ledger", "istio.io/use-waypoint": "w" }, annotations: { big: "x".repeat(1000) } },
      spec: { selector: { app: "ledger" }, ports: [{ port: 80 }], clusterIP: "10.0.0.1" },
      status: { loadBalancer: {}, conditions: [{ type: "istio.io/WaypointBound", status: "False", reason: "WaypointNotFound", message: "m" }] },
    };
    slimServiceForCache(object);
    expect(object.metadata.labels).toEqual({ "istio.io/use-waypoint": "w" });
    expect(object.metadata.annotations).toBeUndefined();
    expect(object.spec).toEqual({ selector: { app: "ledger" } });
    expect(object.status).toEqual({ conditions: [{ type: "istio.io/WaypointBound", status: "False", reason: "WaypointNotFound", message: "m" }] });
  });

  it("keeps of a Gateway its class, waypoint-for label and service account annotation", () => {
    const object: KubeObject = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "w", namespace: "team", labels: { "istio.io/waypoint-for": "service", x: "y" }, annotations: { "gateway.istio.io/service-account": "wsa", other: "z" } },
      spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
      status: { conditions: [] },
    };
    slimGatewayForCache(object);
    expect(object.metadata.labels).toEqual({ "istio.io/waypoint-for": "service" });
    expect(object.metadata.annotations).toEqual({ "gateway.istio.io/service-account": "wsa" });
    expect(object.spec).toEqual({ gatewayClassName: "istio-waypoint" });
    expect(object.status).toBeUndefined();
  });
});
