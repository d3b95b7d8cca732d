// Istio's verdict on what a policy rendered, from the status istiod writes back
// (istio-verdicts.ts). Pure: the reconciler hands it the live objects from its caches.
//
// Which of Istio's words count depends on the object: ztunnel judges every selector-bound
// AuthorizationPolicy, also the sidecar form's (which a sidecar enforces whole, L7 included),
// and would report its L7 parts as UnsupportedValue; that says nothing about enforcement. So
// ZtunnelAccepted counts only on the ambient form's ztunnel objects (render/names.ts
// ztunnel names), WaypointAccepted on any (only the waypoint form has targetRefs), and
// WaypointBound on the target's Services, wherever the target runs on ambient.
import type { RenderedDataPlane } from "../dataplane/data-plane.js";
import { recordedContentHash } from "../render/content-hash.js";
import { ztunnelJwtName, ztunnelShardName } from "../render/names.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { describeObjections, istioObjectionsOf, reasonOf, WAYPOINT_ACCEPTED, WAYPOINT_BOUND, ZTUNNEL_ACCEPTED, type IstioObjection } from "./istio-verdicts.js";

export interface IstioReadBackInput {
  /** The AccessPolicy's name (its objects' names derive from it). */
  policyName: string;
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
export function istioVerdict({ policyName, forms, rendered, live, services }: IstioReadBackInput): IstioVerdict | undefined {
  if (!forms.includes("ambient")) return undefined;
  const typesFor = (o: KubeObject) => (isZtunnelFormName(policyName, o.metadata.name) ? [ZTUNNEL_ACCEPTED, WAYPOINT_ACCEPTED] : [WAYPOINT_ACCEPTED]);
  const current = new Map(rendered.map((o) => [`${o.kind}/${o.metadata.name}`, recordedContentHash(o)]));
  const objections = [
    // Only a live object holding what is rendered now: Istio's word on an older version is stale.
    ...live.filter((o) => o.kind === "AuthorizationPolicy" && current.get(`${o.kind}/${o.metadata.name}`) === recordedContentHash(o)).flatMap((o) => istioObjectionsOf(o, typesFor(o))),
    ...services.flatMap((s) => istioObjectionsOf(s, [WAYPOINT_BOUND])),
  ];
  if (objections.length === 0) return undefined;
  return {
    reason: reasonOf(objections[0]!),
    message: `${describeObjections(objections)}; the mesh does not enforce this policy as rendered`,
    objections,
  };
}

/** The ambient form's objects that ztunnel enforces: `nexus-<p>.ztunnel[.<n>]` and `nexus-<p>.jwt.ztunnel`. */
function isZtunnelFormName(policyName: string, name: string): boolean {
  const base = ztunnelShardName(policyName, 0);
  return name === base || name.startsWith(`${base}.`) || name === ztunnelJwtName(policyName);
}
