import { describe, expect, it } from "vitest";
import { dataPlaneLookupOf, formsOfNamespace, servicesOfTarget, sharedServicesOfTarget, type DataPlaneFacts, type GatewayFacts, type ServiceFacts } from "./detect.js";

function factsOf(world: { namespaces?: Record<string, Record<string, string>>; services?: Record<string, ServiceFacts[]>; gateways?: GatewayFacts[] }): DataPlaneFacts {
  return {
    trustDomain: "cluster.local",
    namespaceLabels: (namespace) => world.namespaces?.[namespace],
    servicesIn: (namespace) => world.services?.[namespace] ?? [],
    gateway: (namespace, name) => world.gateways?.find((gateway) => gateway.namespace === namespace && gateway.name === name),
  };
}

const waypoint = (namespace: string, name: string, extra: Partial<GatewayFacts> = {}): GatewayFacts => ({ namespace, name, gatewayClassName: "istio-waypoint", serviceAccount: name, labels: {}, ...extra });
const api: ServiceFacts = { name: "api", labels: {}, selector: { app: "api" } };

describe("formsOfNamespace", () => {
  it("is sidecar for an unlabelled or unknown namespace", () => {
    expect(formsOfNamespace(undefined)).toEqual(["sidecar"]);
    expect(formsOfNamespace({ "istio-injection": "enabled" })).toEqual(["sidecar"]);
  });
  it("is ambient for a namespace labelled for ambient only", () => {
    expect(formsOfNamespace({ "istio.io/dataplane-mode": "ambient" })).toEqual(["ambient"]);
  });
  it("is both while a namespace is labelled for ambient and for sidecar injection (migration)", () => {
    expect(formsOfNamespace({ "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled" })).toEqual(["ambient", "sidecar"]);
    expect(formsOfNamespace({ "istio.io/dataplane-mode": "ambient", "istio.io/rev": "canary" })).toEqual(["ambient", "sidecar"]);
  });
  it("does not treat other values of the mode label as ambient", () => {
    expect(formsOfNamespace({ "istio.io/dataplane-mode": "none" })).toEqual(["sidecar"]);
  });
});

describe("servicesOfTarget", () => {
  const services: ServiceFacts[] = [
    { name: "web", labels: {}, selector: { app: "web" } },
    { name: "api-v1", labels: {}, selector: { app: "api", version: "v1" } },
    api,
    { name: "manual", labels: {} },
  ];
  it("keeps the Services that select only the target's pods, sorted by name", () => {
    expect(servicesOfTarget(services, { app: "api" }).map((s) => s.name)).toEqual(["api", "api-v1"]);
    expect(servicesOfTarget(services, { app: "api", version: "v1" }).map((s) => s.name)).toEqual(["api-v1"]);
  });
  it("names the Services that may front the target's pods and others too", () => {
    expect(sharedServicesOfTarget(services, { app: "api", version: "v1" }).map((s) => s.name)).toEqual(["api"]);
    expect(sharedServicesOfTarget(services, { app: "api" })).toEqual([]);
    expect(sharedServicesOfTarget(services, undefined)).toEqual([]);
  });
  it("never counts a Service without a selector (it selects no pods)", () => {
    expect(servicesOfTarget(services, undefined).map((s) => s.name)).toEqual(["api", "api-v1", "web"]);
  });
});

describe("dataPlaneLookupOf", () => {
  it("says sidecar with the target's Services in a sidecar namespace", () => {
    const lookup = dataPlaneLookupOf(factsOf({ services: { shop: [api] } }));
    expect(lookup.forTarget("shop", { app: "api" })).toEqual({ forms: ["sidecar"], services: ["api"] });
  });

  it("finds the waypoint a namespace label names, with the principal of its service account", () => {
    const lookup = dataPlaneLookupOf(
      factsOf({
        namespaces: { shop: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp" } },
        services: { shop: [api] },
        gateways: [waypoint("shop", "wp", { serviceAccount: "wp-sa" })],
      }),
    );
    expect(lookup.forTarget("shop", { app: "api" })).toEqual({
      forms: ["ambient"],
      services: ["api"],
      waypoint: { namespace: "shop", name: "wp", principal: "cluster.local/ns/shop/sa/wp-sa" },
    });
  });

  it("lets a Service's own label (and its waypoint namespace) win over the namespace's", () => {
    const lookup = dataPlaneLookupOf(
      factsOf({
        namespaces: { shop: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp" } },
        services: { shop: [{ ...api, labels: { "istio.io/use-waypoint": "shared", "istio.io/use-waypoint-namespace": "mesh" } }] },
        gateways: [waypoint("shop", "wp"), waypoint("mesh", "shared")],
      }),
    );
    expect(lookup.forTarget("shop", { app: "api" }).waypoint).toEqual({ namespace: "mesh", name: "shared", principal: "cluster.local/ns/mesh/sa/shared" });
  });

  it("names the label to set when an ambient target has no waypoint", () => {
    const lookup = dataPlaneLookupOf(factsOf({ namespaces: { shop: { "istio.io/dataplane-mode": "ambient" } }, services: { shop: [api] } }));
    const planes = lookup.forTarget("shop", { app: "api" });
    expect(planes.waypoint).toBeUndefined();
    expect(planes.waypointProblem).toContain("istio.io/use-waypoint");
  });

  it("has no waypoint when the named Gateway is missing or of another class", () => {
    const namespaces = { shop: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp" } };
    const missing = dataPlaneLookupOf(factsOf({ namespaces, services: { shop: [api] } })).forTarget("shop", { app: "api" });
    expect(missing.waypoint).toBeUndefined();
    expect(missing.waypointProblem).toMatch(/no Gateway of class istio-waypoint/);
    const ingress = dataPlaneLookupOf(factsOf({ namespaces, services: { shop: [api] }, gateways: [waypoint("shop", "wp", { gatewayClassName: "istio" })] })).forTarget("shop", {
      app: "api",
    });
    expect(ingress.waypoint).toBeUndefined();
  });

  it("has no waypoint when a Service opts out, or the waypoint serves workloads only", () => {
    const namespaces = { shop: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp" } };
    const optOut = dataPlaneLookupOf(factsOf({ namespaces, services: { shop: [{ ...api, labels: { "istio.io/use-waypoint": "none" } }] }, gateways: [waypoint("shop", "wp")] }));
    expect(optOut.forTarget("shop", { app: "api" }).waypoint).toBeUndefined();
    const workloadOnly = dataPlaneLookupOf(factsOf({ namespaces, services: { shop: [api] }, gateways: [waypoint("shop", "wp", { labels: { "istio.io/waypoint-for": "workload" } })] }));
    expect(workloadOnly.forTarget("shop", { app: "api" }).waypointProblem).toMatch(/waypoint-for=workload/);
  });

  it("trusts no waypoint while a Service that also fronts other pods reaches the target", () => {
    const planes = dataPlaneLookupOf(
      factsOf({
        namespaces: { shop: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp" } },
        services: { shop: [{ name: "api-v1", labels: {}, selector: { app: "api", version: "v1" } }, api] },
        gateways: [waypoint("shop", "wp")],
      }),
    ).forTarget("shop", { app: "api", version: "v1" });
    expect(planes.waypoint).toBeUndefined();
    expect(planes.services).toEqual(["api-v1"]);
    expect(planes.waypointProblem).toMatch(/Service shop\/api may also select the target's pods/);
  });

  it("has no waypoint when the target has no Service, or its Services use different waypoints", () => {
    const namespaces = { shop: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp" } };
    const noService = dataPlaneLookupOf(factsOf({ namespaces, gateways: [waypoint("shop", "wp")] })).forTarget("shop", { app: "api" });
    expect(noService.waypointProblem).toMatch(/no Service/);
    const split = dataPlaneLookupOf(
      factsOf({
        namespaces,
        services: { shop: [api, { name: "api-admin", labels: { "istio.io/use-waypoint": "other" }, selector: { app: "api" } }] },
        gateways: [waypoint("shop", "wp"), waypoint("shop", "other")],
      }),
    ).forTarget("shop", { app: "api" });
    expect(split.waypoint).toBeUndefined();
    expect(split.waypointProblem).toMatch(/different waypoints/);
  });
});
