// Which data plane runs each target, for the CLI: detection (operator/dataplane/detect.ts) over
// the Namespaces, Services and waypoint Gateways among the manifests or in the cluster, so that
// `nexus render` renders what the operator writes; or one data plane for every target
// (`--data-plane`, or an access test's `dataPlane`), to ask what a call would meet there.
import type { DataPlane, DataPlaneLookup, RenderedDataPlane } from "../dataplane/data-plane.js";
import { DATA_PLANES } from "../dataplane/data-plane.js";
import { DATAPLANE_MODE_LABEL, dataPlaneLookupOf, factsForcedTo, type DataPlaneFacts, type GatewayFacts, type ServiceFacts } from "../dataplane/detect.js";
import type { WaypointHop } from "../evaluate/index.js";
import type { Target } from "./access-model.js";
import { UsageError } from "./exit-codes.js";

export interface DataPlaneInput {
  /** Labels of the namespaces known; a namespace not listed is unlabelled (sidecar). */
  namespaces?: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;
  /** Services by namespace. */
  services?: ReadonlyMap<string, readonly ServiceFacts[]>;
  /** Gateways by `namespace/name`. */
  gateways?: ReadonlyMap<string, GatewayFacts>;
  /** Every target on this data plane (--data-plane); absent: as detected. */
  dataPlane?: DataPlane;
}

export const DATA_PLANE_FLAG = "--data-plane";

/** An access test's `dataPlane` (the flag's choices commander checks), or a usage error naming the field and what is allowed. */
export function parseDataPlane(value: unknown, at: string): DataPlane {
  if (typeof value === "string" && (DATA_PLANES as readonly string[]).includes(value)) return value as DataPlane;
  throw new UsageError(`${at}: must be one of ${DATA_PLANES.join(", ")}; got ${JSON.stringify(value)}`);
}

/** proxyless gRPC is rendered as the sidecar form (the baseline means the same on both); only what istiod keeps of it differs. */
export function renderedFormOf(dataPlane: DataPlane): RenderedDataPlane {
  return dataPlane === "ambient" ? "ambient" : "sidecar";
}

export function dataPlaneFactsOf(input: DataPlaneInput, trustDomain: string): DataPlaneFacts {
  const facts: DataPlaneFacts = {
    trustDomain,
    namespaceLabels: (namespace) => input.namespaces?.get(namespace),
    servicesIn: (namespace) => input.services?.get(namespace) ?? [],
    gateway: (namespace, name) => input.gateways?.get(`${namespace}/${name}`),
  };
  return input.dataPlane ? factsForcedTo(facts, renderedFormOf(input.dataPlane)) : facts;
}

export function dataPlaneLookupFor(input: DataPlaneInput, trustDomain: string): DataPlaneLookup {
  return dataPlaneLookupOf(dataPlaneFactsOf(input, trustDomain));
}

/** The data plane a call to the target meets, as the evaluator takes it (AccessRequest.dataPlane and .waypoint). */
export interface TargetPlane {
  dataPlane: DataPlane;
  /** Why this one, in words. */
  because: string;
  /** Ambient: the waypoint a call goes through (a Service of the target's, bound by the waypoint's policies). */
  waypoint?: WaypointHop & { gateway: string };
  /** Ambient without a waypoint that serves the target: what is missing (calls reach ztunnel directly). */
  waypointProblem?: string;
}

/** What a caller that names no data plane gets: sidecar, as everything was judged before data planes were modelled. */
export const SIDECAR_PLANE: TargetPlane = Object.freeze({ dataPlane: "sidecar", because: "no data plane given: sidecar" });

/**
 * The data plane of a target, by the lookup (built for `chosen` when one was named, so an
 * ambient choice still finds the waypoint the labels name). A namespace labelled for ambient
 * and sidecar injection is migrating: its new pods get sidecars, so sidecar is judged.
 * Proxyless gRPC is a per-pod choice no label of the namespace tells: only chosen by name.
 */
export function targetPlaneOf(lookup: DataPlaneLookup, target: Target, chosen?: { dataPlane: DataPlane; by: string }): TargetPlane {
  const planes = lookup.forTarget(target.namespace, target.selectable ? target.workload.labels : undefined);
  const ambient = chosen ? chosen.dataPlane === "ambient" : planes.forms.length === 1 && planes.forms[0] === "ambient";
  if (!ambient) {
    const dataPlane = chosen?.dataPlane ?? "sidecar";
    const because = chosen
      ? chosen.by
      : planes.forms.includes("ambient")
        ? `namespace ${target.namespace} is labelled for ambient and for sidecar injection (migrating): its pods with a sidecar are judged; ${DATA_PLANE_FLAG} ambient judges those without`
        : `namespace ${target.namespace} is not labelled ${DATAPLANE_MODE_LABEL}=ambient`;
    return { dataPlane, because };
  }
  const because = chosen?.by ?? `namespace ${target.namespace} is labelled ${DATAPLANE_MODE_LABEL}=ambient`;
  const service = planes.services[0];
  if (planes.waypoint && service !== undefined) {
    const { waypoint } = planes;
    return { dataPlane: "ambient", because, waypoint: { principal: waypoint.principal, service, gateway: `${waypoint.namespace}/${waypoint.name}` } };
  }
  return { dataPlane: "ambient", because, waypointProblem: planes.waypointProblem ?? `no waypoint serves ${target.namespace}/${target.name}` };
}
