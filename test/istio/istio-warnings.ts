// The warnings istiod's admission validation gives for what the renderer writes, and why
// each is right.
import type { AuthorizationPolicyObject, RuleSpec } from "../../operator/evaluate/authorization-policy.js";

/**
 * istiod warns that a DENY rule using only HTTP attributes "will deny all traffic to TCP
 * ports under its scope": on a TCP connection there is no method, path or token, so the
 * rule keeps only its sources and denies all of their TCP traffic. That is right for
 * NEXUS: a Deny may widen, never narrow (api.md), and the renderer cannot name ports the
 * AccessPolicy does not. It comes from Deny AccessPolicies whose operations have methods
 * or paths but no ports, and from the policy that refuses requests without a token
 * (requireJWT). The warning must appear exactly once for each of those rules (istiod's
 * condition, per rule).
 */
export const TCP_DENY_WARNING = "configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port";

function deniesAllTcp(rule: RuleSpec): boolean {
  const peerSources = (rule.from ?? []).some(({ source }) => ["principals", "notPrincipals", "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks"].some((f) => source?.[f as keyof typeof source] !== undefined));
  const ports = (rule.to ?? []).some(({ operation }) => operation?.ports !== undefined || operation?.notPorts !== undefined);
  return (rule.from !== undefined && rule.to === undefined && !peerSources) || (rule.to !== undefined && !ports);
}

export function expectedWarnings(object: { kind?: string }): string[] {
  if (object.kind !== "AuthorizationPolicy") return [];
  const policy = object as unknown as AuthorizationPolicyObject;
  // One warning per such rule.
  return policy.spec?.action === "DENY" ? (policy.spec.rules ?? []).filter(deniesAllTcp).map(() => TCP_DENY_WARNING) : [];
}

