// Who a failed authentication is counted against: the client, per target. The client is the
// peer principal (its proxy's mTLS identity), except for requests that arrive through a
// gateway the administrators trust: every internet caller shares that gateway's principal,
// so there the client is the external address the gateway asserts in x-forwarded-for. Envoy
// appends the address that connected to it as the rightmost entry; with N trusted proxies
// in front of the gateway (Istio's numTrustedProxies), the client is the entry N places left
// of that one. Entries further left are the caller's own words and never read.
// Pure, unit-tested.
import { hash } from "node:crypto";
import { isIP } from "node:net";

export interface ClientPolicy {
  /** SPIFFE IDs of gateways whose x-forwarded-for is believed (--trusted-gateway-principals). */
  trustedGateways: ReadonlySet<string>;
  /** Trusted proxies in front of those gateways (--trusted-gateway-hops). */
  trustedHops: number;
}

export interface ClientFacts {
  sourcePrincipal?: string;
  sourceAddress?: string;
  forwardedFor?: string;
}

/** The client a failure is counted against: `principal:<id>`, `gateway:<id>/address:<ip>` or `address:<ip>`. */
export function failureClientOf(facts: ClientFacts, policy: ClientPolicy): string {
  const principal = facts.sourcePrincipal;
  if (principal && policy.trustedGateways.has(principal)) {
    const entries = (facts.forwardedFor ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
    // Fewer entries than trusted hops: the leftmost one is still one a trusted hop wrote.
    const chosen = entries.length === 0 ? undefined : entries[Math.max(0, entries.length - 1 - policy.trustedHops)];
    return `gateway:${principal}/address:${normalisedAddress(chosen)}`;
  }
  if (principal) return `principal:${principal}`;
  return `address:${normalisedAddress(facts.sourceAddress)}`;
}

/** An address as a key: IPs as such, anything else (a port, garbage) as one bounded token. */
function normalisedAddress(value: string | undefined): string {
  if (!value) return "unknown";
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  const hostOnly = bracketed ? bracketed[1]! : /^[^:]+:\d+$/.test(value) ? value.slice(0, value.lastIndexOf(":")) : value;
  if (isIP(hostOnly)) return hostOnly.toLowerCase();
  return `other-${hash("sha256", value, "base64url").slice(0, 16)}`;
}

/**
 * The limiter's key for (client, target): a digest, so a key stays short whatever a
 * client sends and names nobody in the shared store.
 */
export function failureKeyOf(client: string, target: string): string {
  return hash("sha256", `${client}\n${target}`, "base64url");
}
