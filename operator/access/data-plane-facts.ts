// The facts detection needs (operator/dataplane/detect.ts), read from the caches of
// Namespaces, Services and Gateways (slimmed by data-plane-cache.ts). The operator and the
// credential gate read them through this one adapter, so both see the same waypoints.
import type { Caches } from "../caches.js";
import { dataPlaneLookupOf, gatewayFactsOf, serviceFactsOf, type DataPlaneFacts } from "../dataplane/detect.js";
import type { DataPlaneLookup } from "../dataplane/data-plane.js";
import type { CachedGateway, CachedService } from "./data-plane-cache.js";

/** A cached Gateway as detection sees it (the CLI reads Gateways from files and the cluster with the same function). */
export { gatewayFactsOf };

/** The informers detection reads: the operator's caches, or the gate's own (operator/authz/watch.ts). */
export type DataPlaneCaches = Pick<Caches, "namespaces" | "services" | "gateways">;

/**
 * Detection's facts, live from the caches. Without the Gateway API CRDs no Gateway exists,
 * so no ambient target has a waypoint: detection then fails closed (WaypointRequired).
 */
export function dataPlaneFactsFrom(caches: DataPlaneCaches, trustDomain: string): DataPlaneFacts {
  return {
    trustDomain,
    namespaceLabels(namespace) {
      const ns = caches.namespaces.get(namespace);
      return ns ? (ns.metadata.labels ?? {}) : undefined;
    },
    servicesIn(namespace) {
      return (caches.services.list(namespace) as CachedService[]).map(serviceFactsOf);
    },
    gateway(namespace, name) {
      const gateway = caches.gateways.get(name, namespace) as CachedGateway | undefined;
      return gateway ? gatewayFactsOf(gateway) : undefined;
    },
  };
}

export function dataPlaneLookupFrom(caches: DataPlaneCaches, trustDomain: string): DataPlaneLookup {
  return dataPlaneLookupOf(dataPlaneFactsFrom(caches, trustDomain));
}
