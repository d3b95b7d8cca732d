// The facts detection needs (operator/dataplane/detect.ts), read from the caches of
// Namespaces, Services and Gateways (slimmed by data-plane-cache.ts). The operator and the
// credential gate read them through this one adapter, so both see the same waypoints.
import type { Caches } from "../caches.js";
import { dataPlaneLookupOf, type DataPlaneFacts, type GatewayFacts } from "../dataplane/detect.js";
import type { DataPlaneLookup } from "../dataplane/data-plane.js";
import { GATEWAY_SERVICE_ACCOUNT_ANNOTATION, type CachedGateway, type CachedService } from "./data-plane-cache.js";

/** The informers detection reads: the operator's caches, or the gate's own (operator/authz/watch.ts). */
export type DataPlaneCaches = Pick<Caches, "namespaces" | "services" | "gateways">;

/** A cached Gateway as detection sees it; its pods run as the service-account annotation, else its name (Istio's waypoint class). */
export function gatewayFactsOf(gateway: CachedGateway): GatewayFacts {
  const { name, namespace = "" } = gateway.metadata;
  return {
    namespace,
    name,
    gatewayClassName: gateway.spec?.gatewayClassName ?? "",
    serviceAccount: gateway.metadata.annotations?.[GATEWAY_SERVICE_ACCOUNT_ANNOTATION] || name,
    labels: gateway.metadata.labels ?? {},
  };
}

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
      return (caches.services.list(namespace) as CachedService[]).map((service) => ({
        name: service.metadata.name,
        labels: service.metadata.labels ?? {},
        ...(service.spec?.selector ? { selector: service.spec.selector } : {}),
      }));
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
