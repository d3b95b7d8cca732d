// Who may ask the gate about a request: only the destination's own proxy. A Check names its
// destination principal; a sender that is not that principal asks about someone else's
// traffic, and would otherwise be able to spend that target's failure budget or use the
// gate as an oracle for its keys. Ambient mode adds one more legitimate sender: the waypoint
// that serves the destination (issue 14); it is a hook here, answered by no one until then.
import type { CallerIdentity } from "./caller-identity.js";

export interface WaypointLookup {
  /** True when the waypoint with this SPIFFE ID serves the destination (ambient). */
  serves(waypointSpiffeId: string, destinationPrincipal: string): boolean;
}

/** Until ambient support lands, no waypoint is known to serve anything. */
export const NO_WAYPOINTS: WaypointLookup = { serves: () => false };

export type MayAsk = { ok: true } | { ok: false; reason: "unknown-caller" | "caller-not-destination"; problem: string };

export function mayAsk(sender: CallerIdentity, destinationPrincipal: string, waypoints: WaypointLookup): MayAsk {
  if (!sender.ok) return { ok: false, reason: "unknown-caller", problem: sender.problem };
  if (sender.spiffeId === destinationPrincipal) return { ok: true };
  if (waypoints.serves(sender.spiffeId, destinationPrincipal)) return { ok: true };
  return { ok: false, reason: "caller-not-destination", problem: "the Check's sender is not the destination's proxy" };
}
