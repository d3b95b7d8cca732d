// The facts detection needs (operator/dataplane/detect.ts), read from the caches of
// Namespaces, Services and Gateways (slimmed by data-plane-cache.ts).
import type { Caches } from "../caches.js";
import { dataPlaneLookupOf, type DataPlaneFacts } from "../dataplane/detect.js";
import type { DataPlaneLookup } from "../dataplane/data-plane.js";
import { GATEWAY_SERVICE_ACCOUNT_ANNOTATION, type CachedGateway, type CachedService } from "./data-plane-cache.js";

/**
 * Detection's facts, live from the caches. Without the Gateway API CRDs no Gateway exists,
 * so no ambient target has a waypoint: detection then fails closed (WaypointRequired).
 */
export function dataPlaneFactsFrom(caches: Caches, trustDomain: string): DataPlaneFacts {
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
      if (!gateway) return undefined;
      return {
        namespace,
        name,
        gatewayClassName: gateway.spec?.gatewayClassName ?? "",
        serviceAccount: gateway.metadata.annotations?.[GATEWAY_SERVICE_ACCOUNT_ANNOTATION] || name,
        labels: gateway.metadata.labels ?? {},
      };
    },
  };
}

export function dataPlaneLookupFrom(caches: Caches, trustDomain: string): DataPlaneLookup {
  return dataPlaneLookupOf(dataPlaneFactsFrom(caches, trustDomain));
}
