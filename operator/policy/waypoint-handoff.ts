// Handing a target's traffic to its waypoint safely when several policies guard it. ztunnel
// admits the waypoint because the waypoint decides every request on the original caller;
// that is only true once every Deny, credential gate and requireJWT of the target is in
// place at the waypoint. Each policy is written by its own reconcile, so without an order
// between them an Allow could admit the waypoint while another policy's Deny is still on
// its way there: its callers would pass what that Deny refuses (found by the data-plane
// migration test). These pure pieces name what guards a waypoint and give an Allow's ztunnel
// shard without the waypoint, which is what is written until the guards are in place.
import { CONTENT_HASH_ANNOTATION } from "../render/metadata.js";
import { isWaypointShardName, waypointGateName, waypointJwtName } from "../render/names.js";
import type { AuthorizationPolicySpec, IstioRule, RenderedMetadata, RenderedObject } from "./istio-types.js";
import type { PolicyAction } from "./policy-action.js";
import { istioObject } from "./rendered-object.js";

/** Whether a rendered object guards requests at a waypoint: a DENY or CUSTOM bound by targetRefs. */
export function guardsAtWaypoint(object: RenderedObject): boolean {
  if (object.kind !== "AuthorizationPolicy") return false;
  const { action, targetRefs } = object.spec;
  return (targetRefs?.length ?? 0) > 0 && (action === "DENY" || action === "CUSTOM");
}

/** The Services a waypoint object is bound to. */
export function boundServicesOf(object: RenderedObject): string[] {
  if (object.kind === "PeerAuthentication") return [];
  return (object.spec.targetRefs ?? []).filter((ref) => ref.kind === "Service").map((ref) => ref.name);
}

/**
 * Whether `name` is one of the objects a policy guards the waypoint with: a Deny's shards
 * there, the gate's CUSTOM policy, and the require-JWT policy with its RequestAuthentication.
 */
export function isWaypointGuardName(policyName: string, action: PolicyAction, name: string): boolean {
  if (name === waypointGateName(policyName) || name === waypointJwtName(policyName)) return true;
  return action === "Deny" && isWaypointShardName(policyName, name);
}

/**
 * An Allow's ztunnel shard without the rule admitting the waypoint (its L4-only rules stay):
 * what ztunnel gets while a guard of the waypoint is missing. Never wider than the shard.
 * Returns the shard itself when it does not admit the waypoint.
 */
export function withoutWaypointAdmission(shard: RenderedObject, waypointPrincipal: string): RenderedObject {
  if (shard.kind !== "AuthorizationPolicy" || shard.spec.action !== "ALLOW") return shard;
  const rules = shard.spec.rules ?? [];
  const kept = rules.filter((rule) => !admitsOnly(rule, waypointPrincipal));
  if (kept.length === rules.length) return shard;
  const { action, selector } = shard.spec;
  const spec: AuthorizationPolicySpec = { action, ...(kept.length > 0 ? { rules: kept } : {}), ...(selector ? { selector } : {}) };
  return istioObject({ kind: "AuthorizationPolicy", name: shard.metadata.name, spec }, metadataWithoutHash(shard.metadata));
}

/** The rule render-ambient.ts gives ztunnel for the waypoint: that principal, nothing else. */
function admitsOnly(rule: IstioRule, principal: string): boolean {
  if (rule.to || rule.when || rule.from?.length !== 1) return false;
  const source = rule.from[0]?.source;
  return source !== undefined && Object.keys(source).length === 1 && source.principals?.length === 1 && source.principals[0] === principal;
}

function metadataWithoutHash(metadata: RenderedMetadata): Omit<RenderedMetadata, "name"> {
  const { name: _name, annotations, ...rest } = metadata;
  const kept = Object.entries(annotations ?? {}).filter(([key]) => key !== CONTENT_HASH_ANNOTATION);
  return kept.length > 0 ? { ...rest, annotations: Object.fromEntries(kept) } : rest;
}
