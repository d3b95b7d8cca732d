// The order between policies when a target's traffic moves to or from its waypoint
// (policy/waypoint-handoff.ts says why). Two questions, answered from the caches:
// - may an Allow's ztunnel shard admit the waypoint now? Not while another policy of the
//   namespace has a guard (Deny, gate, requireJWT) to write at the waypoint for one of the
//   same Services and has not written it yet;
// - may a policy remove a guard it no longer renders at the waypoint? Not while another
//   Allow of the namespace is still served through that waypoint for one of the same
//   Services (its ztunnel shard goes before its waypoint shards, so the waypoint shard is
//   the later sign that it is gone).
// Only presence is asked, never whether a guard is current: a guard being rewritten still
// guards with its earlier version, and asking more would hold every Allow back on each edit.
import type { AccessPolicy } from "../api/types.js";
import type { Caches } from "../caches.js";
import type { PolicyRenderResult } from "../policy/index.js";
import { gateOn } from "../policy/credential-gate.js";
import { actionOf } from "../policy/policy-action.js";
import { boundServicesOf, guardsAtWaypoint, isWaypointGuardName } from "../policy/waypoint-handoff.js";
import { waypointShardName } from "../render/names.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { renderedCacheFor } from "./rendered-caches.js";

type Policy = AccessPolicy & KubeObject;

export interface WaypointHandoffDeps {
  caches: Caches;
  /** The Services of the policy's target (those a waypoint binds its objects to). */
  servicesOf: (policy: Policy) => readonly string[];
  /** The policy's current rendering (the reconciler's memo). */
  renderingOf: (policy: Policy) => PolicyRenderResult;
}

export class WaypointHandoff {
  constructor(private readonly deps: WaypointHandoffDeps) {}

  /**
   * Other policies of the namespace with a guard to write at the waypoint for one of these
   * Services that is not there yet, by name, sorted. Only policies that can have a guard
   * (a Deny, a gate, requireJWT) are rendered to find out.
   */
  guardsMissing(policy: Policy, services: readonly string[]): string[] {
    if (services.length === 0) return [];
    const wanted = new Set(services);
    const missing: string[] = [];
    for (const other of this.deps.caches.policies.list(policy.metadata.namespace)) {
      if (other.metadata.uid === policy.metadata.uid || other.metadata.deletionTimestamp || !mayGuard(other)) continue;
      const guards = this.deps.renderingOf(other).objects.filter((object) => guardsAtWaypoint(object) && boundServicesOf(object).some((name) => wanted.has(name)));
      if (guards.some((guard) => !this.isLiveObjectOf(other, guard.kind, guard.metadata.name))) missing.push(other.metadata.name);
    }
    return missing.sort();
  }

  /**
   * Whether another Allow of the namespace whose target shares a Service with this policy's
   * is still served through the waypoint; such an Allow is named. Asked before a guard of
   * this policy at the waypoint is removed.
   */
  allowStillThroughWaypoint(policy: Policy): string | undefined {
    const services = new Set(this.deps.servicesOf(policy));
    if (services.size === 0) return undefined;
    for (const other of this.deps.caches.policies.list(policy.metadata.namespace)) {
      if (other.metadata.uid === policy.metadata.uid || actionOf(other) !== "Allow") continue;
      if (!this.isLiveObjectOf(other, "AuthorizationPolicy", waypointShardName(other.metadata.name, 0))) continue;
      if (this.deps.servicesOf(other).some((name) => services.has(name))) return other.metadata.name;
    }
    return undefined;
  }

  /** Of the objects a policy no longer renders, the guards at the waypoint. */
  static guardsAmong(policy: Policy, stale: readonly KubeObject[]): KubeObject[] {
    return stale.filter((live) => isWaypointGuardName(policy.metadata.name, actionOf(policy), live.metadata.name));
  }

  private isLiveObjectOf(policy: Policy, kind: string, name: string): boolean {
    const live = renderedCacheFor(this.deps.caches, kind).get(name, policy.metadata.namespace);
    return live !== undefined && (live.metadata.ownerReferences ?? []).some((ref) => ref.uid === policy.metadata.uid);
  }
}

/** A policy that can render a guard at the waypoint: a Deny, or one with a credential gate or requireJWT. */
function mayGuard(policy: Policy): boolean {
  return actionOf(policy) === "Deny" || policy.spec.authentication?.requireJWT === true || gateOn(policy);
}
