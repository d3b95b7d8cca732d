// Who may ask the gate about a request: only the destination's own proxy. A sidecar's Check
// names its destination principal; a sender that is not that principal asks about someone
// else's traffic, and would otherwise be able to spend that target's failure budget or use
// the gate as an oracle for its keys. In ambient mode the proxy is the destination's waypoint,
// whose Checks carry no destination principal (its Envoy decides on an internal listener
// without TLS): a Check a waypoint sends is about the Service at the address its Envoy
// routes the request to, and is answered only when that waypoint serves that Service
// (waypoint-lookup.ts).
import type { CallerIdentity } from "./caller-identity.js";
import type { GateTarget } from "./gate-index.js";

/** What a waypoint's Check is about: a Service it serves and the gated policies bound to it there, or why not. */
export type WaypointAnswer =
  | { served: true; service: string; target: GateTarget }
  | { served: false; service?: string; problem: string };

export interface WaypointLookup {
  /**
   * undefined when the sender is no waypoint (it may then ask only as the destination
   * itself); otherwise what its Check with this destination address is about.
   */
  ask(senderSpiffeId: string, destinationAddress: string | undefined): WaypointAnswer | undefined;
}

/** A gate that watches no waypoints (unit tests, sidecar-only meshes): every sender is a sidecar. */
export const NO_WAYPOINTS: WaypointLookup = { ask: () => undefined };

export type MayAsk = { ok: true } | { ok: false; reason: "unknown-caller" | "caller-not-destination"; problem: string };

/** A sidecar's Check: its sender must be the destination principal it names. */
export function mayAsk(sender: CallerIdentity, destinationPrincipal: string): MayAsk {
  if (!sender.ok) return { ok: false, reason: "unknown-caller", problem: sender.problem };
  if (sender.spiffeId === destinationPrincipal) return { ok: true };
  return { ok: false, reason: "caller-not-destination", problem: "the Check's sender is not the destination's proxy" };
}
