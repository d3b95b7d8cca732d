// Which data plane runs a target, from the objects administrators and namespace users label
// (api.md "Data planes"). Pure: the operator feeds it from its caches, the CLI from
// manifests or the live cluster.
//
// Pods are not read (the operator has no access to them, by least privilege), so a pod label
// that overrides its namespace's mode is not seen; a namespace labelled for both ambient and
// sidecar injection is treated as migrating and gets both forms.
import { principal } from "../identity/spiffe.js";
import type { DataPlaneLookup, RenderedDataPlane, TargetDataPlanes, Waypoint } from "./data-plane.js";

export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
export const USE_WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace";
export const WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";
export const WAYPOINT_GATEWAY_CLASS = "istio-waypoint";
/** Istio's annotation naming the service account a waypoint's pods run as (default: the Gateway's name). */
export const GATEWAY_SERVICE_ACCOUNT_ANNOTATION = "gateway.istio.io/service-account";
const SIDECAR_INJECTION_LABEL = "istio-injection";
const REVISION_LABEL = "istio.io/rev";

export interface ServiceFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** spec.selector; a Service without one selects no pods (its endpoints are managed by hand). */
  selector?: Readonly<Record<string, string>>;
}

export interface GatewayFacts {
  namespace: string;
  name: string;
  gatewayClassName: string;
  /** The service account its pods run as: the gateway.istio.io/service-account annotation, else its name. */
  serviceAccount: string;
  labels: Readonly<Record<string, string>>;
}

export interface DataPlaneFacts {
  trustDomain: string;
  /** Undefined when the namespace is not known (treated as unlabelled: sidecar). */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  servicesIn(namespace: string): readonly ServiceFacts[];
  gateway(namespace: string, name: string): GatewayFacts | undefined;
}

/** What detection reads of a Service, as the apiserver (or a manifest) holds it. */
export interface ServiceObject {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { selector?: Record<string, string> };
}

/** What detection reads of a Gateway API Gateway. */
export interface GatewayObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { gatewayClassName?: string };
}

export function serviceFactsOf(service: ServiceObject): ServiceFacts {
  const selector = service.spec?.selector;
  return { name: service.metadata.name, labels: service.metadata.labels ?? {}, ...(selector ? { selector } : {}) };
}

/** Its pods run as the service-account annotation, else its name (Istio's waypoint class). */
export function gatewayFactsOf(gateway: GatewayObject): GatewayFacts {
  return {
    namespace: gateway.metadata.namespace ?? "",
    name: gateway.metadata.name,
    gatewayClassName: gateway.spec?.gatewayClassName ?? "",
    serviceAccount: gateway.metadata.annotations?.[GATEWAY_SERVICE_ACCOUNT_ANNOTATION] || gateway.metadata.name,
    labels: gateway.metadata.labels ?? {},
  };
}

/**
 * The same facts with every namespace labelled for one data plane only: what detection says
 * if every target ran there (`nexus check --data-plane`). Ambient keeps the namespace's
 * waypoint labels, so a waypoint it names still serves it.
 */
export function factsForcedTo(facts: DataPlaneFacts, form: RenderedDataPlane): DataPlaneFacts {
  return {
    ...facts,
    namespaceLabels(namespace) {
      const labels: Record<string, string> = { ...(facts.namespaceLabels(namespace) ?? {}) };
      delete labels[SIDECAR_INJECTION_LABEL];
      delete labels[REVISION_LABEL];
      if (form === "ambient") labels[DATAPLANE_MODE_LABEL] = "ambient";
      else delete labels[DATAPLANE_MODE_LABEL];
      return labels;
    },
  };
}

/** The rendered forms a namespace needs by its labels. */
export function formsOfNamespace(labels: Readonly<Record<string, string>> | undefined): RenderedDataPlane[] {
  const ambient = labels?.[DATAPLANE_MODE_LABEL] === "ambient";
  if (!ambient) return ["sidecar"];
  const injected = labels?.[SIDECAR_INJECTION_LABEL] === "enabled" || (labels?.[REVISION_LABEL] ?? "") !== "";
  return injected ? ["ambient", "sidecar"] : ["ambient"];
}

/**
 * The target's own Services: those that select only pods of the target (their selector holds
 * every label of the target's selector). A waypoint binds policy per Service, so a policy of
 * the target bound to a Service that also fronts other pods would admit its callers there too.
 * A namespace-wide policy (no selector) owns every Service of its namespace.
 */
export function servicesOfTarget(services: readonly ServiceFacts[], selector: Readonly<Record<string, string>> | undefined): ServiceFacts[] {
  return services
    .filter((service) => {
      const serviceSelector = service.selector ?? {};
      if (Object.keys(serviceSelector).length === 0) return false;
      if (!selector) return true;
      return Object.entries(selector).every(([key, value]) => serviceSelector[key] === value);
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Services that may select pods of the target without being its own (no label of theirs
 * contradicts the target's, yet they do not hold all of them): traffic through such a Service
 * reaches the target past the waypoint's policies for the target, so no waypoint is trusted.
 */
export function sharedServicesOfTarget(
  services: readonly ServiceFacts[],
  selector: Readonly<Record<string, string>> | undefined,
  ownServices: readonly ServiceFacts[] = servicesOfTarget(services, selector),
): ServiceFacts[] {
  if (!selector) return [];
  const own = new Set(ownServices.map((service) => service.name));
  return services.filter((service) => {
    const serviceSelector = Object.entries(service.selector ?? {});
    if (serviceSelector.length === 0 || own.has(service.name)) return false;
    return serviceSelector.every(([key, value]) => selector[key] === undefined || selector[key] === value);
  });
}

type WaypointChoice = { kind: "none" } | { kind: "named"; namespace: string; name: string; labelledOn: string };

/** The waypoint a Service asks for: its own label first, then its namespace's; "none" opts out. */
function waypointChoiceOf(service: ServiceFacts, namespace: string, namespaceLabels: Readonly<Record<string, string>> | undefined): WaypointChoice {
  const own = service.labels[USE_WAYPOINT_LABEL];
  const source = own !== undefined ? service.labels : namespaceLabels ?? {};
  const name = own ?? namespaceLabels?.[USE_WAYPOINT_LABEL];
  if (name === undefined || name === "" || name === "none") return { kind: "none" };
  const waypointNamespace = source[USE_WAYPOINT_NAMESPACE_LABEL] || namespace;
  return { kind: "named", namespace: waypointNamespace, name, labelledOn: own !== undefined ? `Service ${namespace}/${service.name}` : `Namespace ${namespace}` };
}

/** A waypoint serves Service traffic unless it says it is for workloads only (or nothing). */
function servesServices(gateway: GatewayFacts): boolean {
  const waypointFor = gateway.labels[WAYPOINT_FOR_LABEL] ?? "service";
  return waypointFor === "service" || waypointFor === "all";
}

function waypointOf(namespace: string, services: readonly ServiceFacts[], shared: readonly ServiceFacts[], facts: DataPlaneFacts): { waypoint?: Waypoint; problem?: string } {
  const labels = facts.namespaceLabels(namespace);
  if (shared.length > 0) {
    const names = shared.map((service) => `${namespace}/${service.name}`).join(", ");
    return {
      problem: `Service ${names} may also select the target's pods but fronts other pods too, so the waypoint cannot apply the target's policy to it: give the target Services of its own (their selector holding every label of the target's workloadSelector)`,
    };
  }
  const setLabel = `set the label ${USE_WAYPOINT_LABEL}=<waypoint> on Namespace ${namespace} or on the target's Services`;
  if (services.length === 0) {
    return { problem: `no Service in namespace ${namespace} selects the target's pods, and a waypoint enforces policy only for Services: create a Service for the target and ${setLabel}` };
  }
  let chosen: Waypoint | undefined;
  for (const service of services) {
    const choice = waypointChoiceOf(service, namespace, labels);
    if (choice.kind === "none") {
      return { problem: `Service ${namespace}/${service.name} uses no waypoint: ${setLabel}` };
    }
    const gateway = facts.gateway(choice.namespace, choice.name);
    if (!gateway || gateway.gatewayClassName !== WAYPOINT_GATEWAY_CLASS) {
      return {
        problem: `${choice.labelledOn} names waypoint ${choice.namespace}/${choice.name} (label ${USE_WAYPOINT_LABEL}), but no Gateway of class ${WAYPOINT_GATEWAY_CLASS} has that name: create it or correct the label`,
      };
    }
    if (!servesServices(gateway)) {
      return { problem: `waypoint ${gateway.namespace}/${gateway.name} is labelled ${WAYPOINT_FOR_LABEL}=${gateway.labels[WAYPOINT_FOR_LABEL]}, so Service traffic does not pass it: set ${WAYPOINT_FOR_LABEL}=service (or all)` };
    }
    const waypoint: Waypoint = { namespace: gateway.namespace, name: gateway.name, principal: principal(facts.trustDomain, gateway.namespace, gateway.serviceAccount) };
    if (chosen && (chosen.namespace !== waypoint.namespace || chosen.name !== waypoint.name)) {
      return { problem: `the target's Services use different waypoints (${chosen.namespace}/${chosen.name} and ${waypoint.namespace}/${waypoint.name}): label them with one ${USE_WAYPOINT_LABEL}` };
    }
    chosen = waypoint;
  }
  return { waypoint: chosen };
}

export function dataPlaneLookupOf(facts: DataPlaneFacts): DataPlaneLookup {
  return {
    forTarget(namespace, selector): TargetDataPlanes {
      const forms = formsOfNamespace(facts.namespaceLabels(namespace));
      const all = facts.servicesIn(namespace);
      const services = servicesOfTarget(all, selector);
      const names = services.map((service) => service.name);
      if (!forms.includes("ambient")) return { forms, services: names };
      const { waypoint, problem } = waypointOf(namespace, services, sharedServicesOfTarget(all, selector, services), facts);
      return waypoint ? { forms, services: names, waypoint } : { forms, services: names, waypointProblem: problem };
    },
  };
}
