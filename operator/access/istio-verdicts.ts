// What Istio itself says about objects it enforces, read back from their status (api.md
// "Data planes"). istiod writes, through the status subresource with its own field
// managers (istio-ambient-ztunnel-policy, istio-ambient-waypoint-policy,
// istio-ambient-service), the conditions below; the operator only reads them, never writes
// the status of a rendered object, and assumes nothing where Istio wrote nothing.
//   AuthorizationPolicy ZtunnelAccepted: False when ztunnel drops the policy (e.g. an action
//     it does not support); True with reason UnsupportedValue when it keeps the policy but
//     drops its L7 parts (istio pilot/pkg/serviceregistry/ambient/authorization.go).
//   AuthorizationPolicy WaypointAccepted: False (Invalid, AncestorNotBound, TargetNotFound)
//     when a targetRefs policy binds to no waypoint; True with reason PartiallyInvalid when
//     only some of its targetRefs bind (pilot/pkg/model/service.go flattenConditions).
//   Service istio.io/WaypointBound: False when the waypoint the Service asks for cannot be used.
import type { KubeObject } from "../runtime/kube-client.js";

export const ZTUNNEL_ACCEPTED = "ZtunnelAccepted";
export const WAYPOINT_ACCEPTED = "WaypointAccepted";
export const WAYPOINT_BOUND = "istio.io/WaypointBound";

/** Reasons istiod gives a True condition when it enforces only part of the object. */
const PARTIAL_REASONS = new Set(["UnsupportedValue", "PartiallyInvalid"]);

interface IstioCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** One condition in which Istio says it does not enforce an object, or enforces only part of it. */
export interface IstioObjection {
  /** e.g. "AuthorizationPolicy team/nexus-ledger-callers". */
  object: string;
  type: string;
  status: string;
  reason: string;
  message: string;
}

function isObjection(condition: IstioCondition): boolean {
  return condition.status === "False" || (condition.status === "True" && PARTIAL_REASONS.has(condition.reason ?? ""));
}

/**
 * Cache transform: the status of an object keeps only Istio's objections of the given
 * types (type, status, reason, message, observedGeneration), nothing else. Accepted
 * conditions, which istiod writes on nearly every policy, cost no memory, and nothing else
 * of the status is read. In place, like every cache transform.
 */
export function keepIstioObjections(object: KubeObject, types: readonly string[]): void {
  const conditions = (object.status as { conditions?: unknown } | undefined)?.conditions;
  if (object.status === undefined) return;
  const kept = Array.isArray(conditions)
    ? (conditions as IstioCondition[])
        .filter((c) => c && types.includes(c.type) && isObjection(c))
        .map((c) => ({
          type: c.type,
          status: c.status,
          reason: c.reason ?? "",
          message: c.message ?? "",
          ...(typeof c.observedGeneration === "number" ? { observedGeneration: c.observedGeneration } : {}),
        }))
    : [];
  // Set rather than deleted, which would make V8 store the object as a slow dictionary.
  object.status = kept.length > 0 ? { conditions: kept } : undefined;
}

/**
 * Istio's objections to an object as it stands: a condition observed for an older
 * generation speaks of content that is no longer there and is left out.
 */
export function istioObjectionsOf(object: KubeObject, types: readonly string[]): IstioObjection[] {
  const conditions = (object.status as { conditions?: IstioCondition[] } | undefined)?.conditions ?? [];
  const generation = object.metadata.generation;
  const name = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata.name}`;
  return conditions
    .filter((c) => types.includes(c.type) && isObjection(c))
    .filter((c) => c.observedGeneration === undefined || generation === undefined || c.observedGeneration === generation)
    .map((c) => ({ object: name, type: c.type, status: c.status, reason: c.reason ?? "", message: c.message ?? "" }))
    .sort((a, b) => (a.object + a.type < b.object + b.type ? -1 : a.object + a.type > b.object + b.type ? 1 : 0));
}

const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** A condition reason from Istio's: its own where it is a valid metav1 reason, else a generic one. */
export function reasonOf(objection: IstioObjection): string {
  return REASON_PATTERN.test(objection.reason) && objection.reason.length <= 1024 ? objection.reason : "IstioNotEnforced";
}

/** Istio's words, naming the object: "Istio reports on AuthorizationPolicy ns/x: ZtunnelAccepted=True (UnsupportedValue): ...". */
export function describeObjections(objections: readonly IstioObjection[]): string {
  const first = objections.slice(0, 3).map((o) => `${o.object}: ${o.type}=${o.status} (${o.reason || "no reason"})${o.message ? `: ${o.message}` : ""}`);
  const more = objections.length > 3 ? ` (and ${objections.length - 3} more)` : "";
  return `Istio reports on ${first.join("; on ")}${more}`;
}
