// What the caches of Services and Gateways keep of each object: only what detection
// (operator/dataplane/detect.ts) and the read-back of Istio's verdicts read, so watching
// every Service of a large cluster costs little memory.
import { GATEWAY_SERVICE_ACCOUNT_ANNOTATION, USE_WAYPOINT_LABEL, USE_WAYPOINT_NAMESPACE_LABEL, WAYPOINT_FOR_LABEL } from "../dataplane/detect.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { keepIstioObjections, WAYPOINT_BOUND } from "./istio-verdicts.js";

export { GATEWAY_SERVICE_ACCOUNT_ANNOTATION };
const SERVICE_LABELS = [USE_WAYPOINT_LABEL, USE_WAYPOINT_NAMESPACE_LABEL];
const GATEWAY_LABELS = [WAYPOINT_FOR_LABEL];

export type CachedService = KubeObject & { spec?: { selector?: Record<string, string>; clusterIPs?: string[] } };
export type CachedGateway = KubeObject & { spec?: { gatewayClassName?: string } };

function pick(record: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> | undefined {
  if (!record) return undefined;
  let picked: Record<string, string> | undefined;
  for (const key of keys) if (record[key] !== undefined) (picked ??= {})[key] = record[key];
  return picked;
}

/** Cache transform for Services: the waypoint labels, the selector and Istio's WaypointBound objection. */
export function slimServiceForCache(object: KubeObject): void {
  const service = object as CachedService;
  service.metadata.labels = pick(service.metadata.labels, SERVICE_LABELS);
  service.metadata.annotations = undefined;
  service.metadata.ownerReferences = undefined;
  const selector = service.spec?.selector;
  service.spec = selector ? { selector } : {};
  keepIstioObjections(service, [WAYPOINT_BOUND]);
}

/**
 * Cache transform for the credential gate's Services: as the operator's, plus the cluster IPs
 * (a waypoint's Check names the Service it routes to by the address it was sent to).
 */
export function slimServiceWithAddressesForCache(object: KubeObject): void {
  const spec = (object as KubeObject & { spec?: { clusterIP?: string; clusterIPs?: string[] } }).spec;
  // "None" (headless) and "" (ExternalName) are no address anything is sent to.
  const addresses = (spec?.clusterIPs ?? (spec?.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== "" && ip !== "None");
  slimServiceForCache(object);
  if (addresses.length > 0) (object as CachedService).spec!.clusterIPs = addresses;
}

/** Cache transform for Gateways: class, waypoint-for label and service account annotation. */
export function slimGatewayForCache(object: KubeObject): void {
  const gateway = object as CachedGateway;
  gateway.metadata.labels = pick(gateway.metadata.labels, GATEWAY_LABELS);
  gateway.metadata.annotations = pick(gateway.metadata.annotations, [GATEWAY_SERVICE_ACCOUNT_ANNOTATION]);
  gateway.metadata.ownerReferences = undefined;
  gateway.spec = { gatewayClassName: gateway.spec?.gatewayClassName ?? "" };
  gateway.status = undefined;
}

