// Which Service a cluster IP belongs to. A waypoint's Envoy sends the Check with the address
// the request was tunnelled to (the HBONE CONNECT target, restored as the connection's local
// address); the apiserver gives each cluster IP to one Service. While two Services claim one
// address (a delete and a create seen out of order) it names none: fail closed. Pure.
import { isIPv6 } from "node:net";

export interface ServiceRef {
  namespace: string;
  name: string;
}

/** One spelling per address: IPv6 compressed and lower-cased, as Envoy prints it. */
export function canonicalAddress(ip: string): string {
  if (!isIPv6(ip)) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export class ServiceAddresses {
  /** Address -> the Services claiming it ("namespace/name"). */
  private readonly owners = new Map<string, Set<string>>();
  /** "namespace/name" -> its addresses, to forget them when it changes or goes. */
  private readonly addresses = new Map<string, readonly string[]>();

  /** Records a Service's cluster IPs; none (or undefined) forgets it. Returns whether anything changed. */
  set(namespace: string, name: string, clusterIPs: readonly string[] | undefined): boolean {
    const key = `${namespace}/${name}`;
    const next = [...new Set((clusterIPs ?? []).map(canonicalAddress))].sort();
    const previous = this.addresses.get(key) ?? [];
    if (previous.length === next.length && previous.every((ip, i) => ip === next[i])) return false;
    for (const ip of previous) {
      const claims = this.owners.get(ip);
      claims?.delete(key);
      if (claims?.size === 0) this.owners.delete(ip);
    }
    if (next.length === 0) this.addresses.delete(key);
    else this.addresses.set(key, next);
    for (const ip of next) {
      let claims = this.owners.get(ip);
      if (!claims) this.owners.set(ip, (claims = new Set()));
      claims.add(key);
    }
    return true;
  }

  /** The one Service at this address, or undefined (none, or more than one). */
  at(ip: string): ServiceRef | undefined {
    const claims = this.owners.get(canonicalAddress(ip));
    if (!claims || claims.size !== 1) return undefined;
    const [key] = claims;
    const slash = key!.indexOf("/");
    return { namespace: key!.slice(0, slash), name: key!.slice(slash + 1) };
  }
}
