// Which namespaces' policies must be rendered again when a fact of detection changes: a
// namespace's data-plane labels, a Service's selector or waypoint labels (or Istio's
// WaypointBound verdict on it), a waypoint Gateway. Each object's relevant facts are kept as
// a fingerprint, so a change that detection does not read (a status write, an unrelated
// label) re-renders nothing; and only namespaces running ambient are affected by Services and
// Gateways, since a sidecar target's rendering does not depend on them.
import { canonicalJson } from "../render/hash.js";
import { formsOfNamespace, USE_WAYPOINT_LABEL, USE_WAYPOINT_NAMESPACE_LABEL, WAYPOINT_FOR_LABEL, WAYPOINT_GATEWAY_CLASS } from "../dataplane/detect.js";
import { objectKey } from "../runtime/object-key.js";
import type { InformerEvent } from "../runtime/informer.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { GATEWAY_SERVICE_ACCOUNT_ANNOTATION, type CachedGateway, type CachedService } from "./data-plane-cache.js";

export interface DataPlaneRoutingDeps {
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Every namespace the operator knows. */
  namespaces(): string[];
  servicesIn(namespace: string): CachedService[];
  /** Renders every policy of the namespace again. */
  enqueueNamespace(namespace: string): void;
}

type Labels = Readonly<Record<string, string>> | undefined;

/** What detection reads of a namespace; an unknown namespace reads like an unlabelled one. */
function namespaceFingerprint(labels: Labels): string {
  return canonicalJson({ forms: formsOfNamespace(labels), waypoint: labels?.[USE_WAYPOINT_LABEL] ?? null, waypointNamespace: labels?.[USE_WAYPOINT_NAMESPACE_LABEL] ?? null });
}

function serviceFingerprint(service: CachedService | undefined): string {
  if (!service) return "";
  return canonicalJson({ labels: service.metadata.labels ?? {}, selector: service.spec?.selector ?? null, status: service.status ?? null });
}

function gatewayFingerprint(gateway: CachedGateway | undefined): string {
  // Only waypoints count; a Gateway that stops being one is a change, one that never was is not.
  if (!gateway || gateway.spec?.gatewayClassName !== WAYPOINT_GATEWAY_CLASS) return "";
  return canonicalJson({
    serviceAccount: gateway.metadata.annotations?.[GATEWAY_SERVICE_ACCOUNT_ANNOTATION] ?? null,
    waypointFor: gateway.metadata.labels?.[WAYPOINT_FOR_LABEL] ?? null,
  });
}

function isAmbient(labels: Labels): boolean {
  return formsOfNamespace(labels).includes("ambient");
}

export class DataPlaneRouting {
  private readonly namespaces = new Map<string, string>();
  private readonly services = new Map<string, string>();
  private readonly gateways = new Map<string, string>();
  private readonly unlabelled = namespaceFingerprint(undefined);

  constructor(private readonly deps: DataPlaneRoutingDeps) {}

  namespaceChanged(namespace: KubeObject, event: InformerEvent): void {
    const name = namespace.metadata.name;
    const next = event === "delete" ? this.unlabelled : namespaceFingerprint(namespace.metadata.labels);
    const previous = this.namespaces.get(name) ?? this.unlabelled;
    if (next === this.unlabelled) this.namespaces.delete(name);
    else this.namespaces.set(name, next);
    if (previous !== next) this.deps.enqueueNamespace(name);
  }

  serviceChanged(service: CachedService, event: InformerEvent): void {
    const namespace = service.metadata.namespace ?? "";
    const key = objectKey(namespace, service.metadata.name);
    const next = serviceFingerprint(event === "delete" ? undefined : service);
    const previous = this.services.get(key) ?? "";
    if (next === "") this.services.delete(key);
    else this.services.set(key, next);
    if (previous !== next && isAmbient(this.deps.namespaceLabels(namespace))) this.deps.enqueueNamespace(namespace);
  }

  gatewayChanged(gateway: CachedGateway, event: InformerEvent): void {
    const key = objectKey(gateway.metadata.namespace, gateway.metadata.name);
    const next = gatewayFingerprint(event === "delete" ? undefined : gateway);
    const previous = this.gateways.get(key) ?? "";
    if (next === "") this.gateways.delete(key);
    else this.gateways.set(key, next);
    if (previous !== next) this.waypointChanged(gateway.metadata.name);
  }

  /** The Gateway API appeared or vanished: every ambient namespace's waypoints may have. */
  gatewaysAvailabilityChanged(): void {
    for (const namespace of this.deps.namespaces()) if (isAmbient(this.deps.namespaceLabels(namespace))) this.deps.enqueueNamespace(namespace);
  }

  /**
   * Ambient namespaces whose label, or one of whose Services' labels, names a waypoint of
   * this name (in whichever namespace: a waypoint may serve other namespaces). Gateway
   * changes are rare, so scanning is cheaper than another index.
   */
  private waypointChanged(name: string): void {
    for (const namespace of this.deps.namespaces()) {
      const labels = this.deps.namespaceLabels(namespace);
      if (!isAmbient(labels)) continue;
      const named = labels?.[USE_WAYPOINT_LABEL] === name || this.deps.servicesIn(namespace).some((s) => s.metadata.labels?.[USE_WAYPOINT_LABEL] === name);
      if (named) this.deps.enqueueNamespace(namespace);
    }
  }
}
