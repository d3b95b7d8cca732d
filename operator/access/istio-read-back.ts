// Istio's verdict on what a policy rendered, from the status istiod writes back
// (istio-verdicts.ts). Pure: the reconciler hands it the live objects from its caches.
//
// Which of Istio's words count depends on the target's data plane: ztunnel judges every
// selector-bound AuthorizationPolicy, also those a sidecar enforces, and drops their L7 parts.
// For a target on sidecars only (or while its namespace migrates and sidecars still enforce
// the selector form) that is expected and says nothing about enforcement, so
// ZtunnelAccepted counts only for targets on ambient alone. WaypointAccepted concerns
// targetRefs policies, which are rendered for waypoints only, and WaypointBound the
// target's Services: both count wherever the target runs on ambient.
import type { RenderedDataPlane } from "../dataplane/data-plane.js";
import { recordedContentHash } from "../render/content-hash.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { describeObjections, istioObjectionsOf, reasonOf, WAYPOINT_ACCEPTED, WAYPOINT_BOUND, ZTUNNEL_ACCEPTED, type IstioObjection } from "./istio-verdicts.js";

export interface IstioReadBackInput {
  /** The forms rendered for the target (detection). */
  forms: readonly RenderedDataPlane[];
  /** What the policy renders now. */
  rendered: readonly KubeObject[];
  /** Its live objects, from the caches (status slimmed to Istio's objections). */
  live: readonly KubeObject[];
  /** The target's Services, from the cache. */
  services: readonly KubeObject[];
}

export interface IstioVerdict {
  reason: string;
  message: string;
  objections: IstioObjection[];
}

/** Undefined where Istio objects to nothing (or wrote nothing): nothing is assumed. */
export function istioVerdict({ forms, rendered, live, services }: IstioReadBackInput): IstioVerdict | undefined {
  if (!forms.includes("ambient")) return undefined;
  const policyTypes = forms.includes("sidecar") ? [WAYPOINT_ACCEPTED] : [ZTUNNEL_ACCEPTED, WAYPOINT_ACCEPTED];
  const current = new Map(rendered.map((o) => [`${o.kind}/${o.metadata.name}`, recordedContentHash(o)]));
  const objections = [
    // Only a live object holding what is rendered now: Istio's word on an older version is stale.
    ...live.filter((o) => o.kind === "AuthorizationPolicy" && current.get(`${o.kind}/${o.metadata.name}`) === recordedContentHash(o)).flatMap((o) => istioObjectionsOf(o, policyTypes)),
    ...services.flatMap((s) => istioObjectionsOf(s, [WAYPOINT_BOUND])),
  ];
  if (objections.length === 0) return undefined;
  return {
    reason: reasonOf(objections[0]!),
    message: `${describeObjections(objections)}; the mesh does not enforce this policy as rendered`,
    objections,
  };
}
