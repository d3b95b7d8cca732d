// Which rendered rules ztunnel can enforce. ztunnel sees connections, not requests: it
// knows the peer principal, its namespace and the destination port, and nothing of HTTP
// (methods, paths, hosts, tokens, headers). istiod's ambient conversion (pilot/pkg/
// serviceregistry/ambient/authorization.go) drops an ALLOW rule with any such field whole
// and keeps only the L4 fields of a DENY rule; the renderer decides with the same list.
import type { IstioCondition, IstioRule } from "./istio-types.js";

/** `when` keys istiod passes on to ztunnel; any other key is an HTTP attribute. */
export const L4_CONDITION_KEYS: ReadonlySet<string> = new Set(["source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"]);

/** Whether ztunnel enforces the rule as written (no HTTP attribute anywhere in it). */
export function isL4Only(rule: IstioRule): boolean {
  for (const { source } of rule.from ?? []) {
    if (source.requestPrincipals?.length || source.notRequestPrincipals?.length) return false;
  }
  for (const { operation } of rule.to ?? []) {
    if (operation.methods?.length || operation.paths?.length) return false;
  }
  return (rule.when ?? []).every((condition) => L4_CONDITION_KEYS.has(condition.key));
}

/**
 * A rule with HTTP attributes widened to what ztunnel can enforce without narrowing a Deny:
 * its peer sources (principals, namespaces) on every operation. A source known only by its
 * token (requestPrincipals) could be anyone at L4, so a rule with one becomes a rule for
 * everyone. Conditions on the token go with it.
 */
export function widenedToL4(rule: IstioRule): IstioRule {
  const from = rule.from ?? [];
  const everyoneMatches = from.length === 0 || from.some(({ source }) => !source.principals?.length && !source.namespaces?.length);
  if (everyoneMatches) return {};
  const peerSources = from.map(({ source }) => ({
    source: { ...(source.principals?.length ? { principals: source.principals } : {}), ...(source.namespaces?.length ? { namespaces: source.namespaces } : {}) },
  }));
  return { from: peerSources };
}

/** The condition that keeps a ztunnel Deny off the waypoint's own connections (the waypoint has decided those on the original caller). */
export function notFromWaypoint(waypointPrincipal: string): IstioCondition {
  return { key: "source.principal", notValues: [waypointPrincipal] };
}
