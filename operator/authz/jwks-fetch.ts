// Where the gate may fetch a JWKS from. A jwksUri is written by a namespace user, and the
// gate fetches it from inside the cluster: unchecked, it is a port scanner of the pod
// network and of the gate's own loopback. So a fetch goes only
// - over https, to a host the administrators allow (--allowed-jwks-hosts), and
// - to an address that is public, unless the administrators allow it (--allowed-jwks-addresses).
// The address is checked where the connection is made (the socket's lookup), and the
// connected peer again, so a name that resolves to a public address when checked and a
// private one when connecting (DNS rebinding) is still refused. Redirects are not followed.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request } from "node:https";
import { BlockList, isIP } from "node:net";

export interface JwksFetchPolicy {
  allowedHosts: readonly string[];
  allowedAddresses: readonly string[];
  /** Largest JWKS document read; a larger answer fails the fetch. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024;

// Loopback, private, link-local, carrier-grade NAT, multicast, reserved and unspecified.
const SPECIAL_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4"];
const SPECIAL_V6 = ["::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "64:ff9b::/96", "2001:db8::/32"];

const special = new BlockList();
for (const cidr of SPECIAL_V4) addCidr(special, cidr);
for (const cidr of SPECIAL_V6) addCidr(special, cidr);

export function parseCidr(cidr: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!match) return undefined;
  const version = isIP(match[1]!);
  const prefix = Number(match[2]);
  if (version === 0 || prefix > (version === 4 ? 32 : 128)) return undefined;
  return { address: match[1]!, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

function addCidr(list: BlockList, cidr: string): void {
  const parsed = parseCidr(cidr);
  if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else the address. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1]! : address;
}

export class JwksFetchGuard {
  private readonly allowed = new BlockList();
  private readonly maxBytes: number;

  constructor(private readonly policy: JwksFetchPolicy) {
    for (const cidr of policy.allowedAddresses) addCidr(this.allowed, cidr);
    this.maxBytes = policy.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** Why the gate will not fetch this URI, or undefined when it may. */
  refusesUri(uri: string): string | undefined {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return "jwksUri is not a URL";
    }
    if (url.protocol !== "https:") return "jwksUri must use https";
    if (url.username || url.password) return "jwksUri must not carry credentials";
    if (!this.hostAllowed(url)) return `jwksUri host ${url.host} is not in --allowed-jwks-hosts`;
    const literal = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(literal) && !this.addressAllowed(literal)) return `jwksUri address ${literal} is private, loopback or link-local and not in --allowed-jwks-addresses`;
    return undefined;
  }

  hostAllowed(url: URL): boolean {
    const host = url.hostname.toLowerCase();
    const withPort = url.port ? `${host}:${url.port}` : host;
    return this.policy.allowedHosts.some((allowed) => {
      if (allowed.startsWith("*.")) {
        const suffix = allowed.slice(1); // ".example.com" (with any :port)
        const [suffixHost, suffixPort] = suffix.split(/:(?=\d+$)/);
        if (suffixPort !== undefined && suffixPort !== url.port) return false;
        return host.endsWith(suffixHost!) && host.length > suffixHost!.length;
      }
      return allowed === withPort || (allowed === host && !url.port);
    });
  }

  /** Public addresses always; special ones only when the administrators listed them. */
  addressAllowed(address: string): boolean {
    const plain = unmapped(address);
    const family = isIP(plain) === 4 ? "ipv4" : "ipv6";
    if (isIP(plain) === 0) return false;
    if (this.allowed.check(plain, family)) return true;
    return !special.check(plain, family);
  }

  /** A fetch for jose's customFetch: the checks above at the socket, no redirects, a size cap. */
  readonly fetch = (uri: string, options: { headers: Headers; signal: AbortSignal }): Promise<Response> => {
    const refused = this.refusesUri(uri);
    if (refused) return Promise.reject(new Error(refused));
    const url = new URL(uri);
    const guardedLookup = (hostname: string, lookupOptions: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
      dnsLookup(hostname, { all: true }, (err, addresses) => {
        if (err) return callback(err, "", 0);
        const usable = addresses.filter((a) => this.addressAllowed(a.address));
        if (usable.length === 0) return callback(Object.assign(new Error(`jwksUri host ${hostname} resolves only to addresses that are private, loopback or link-local and not allowed`), { code: "ENOTALLOWED" }), "", 0);
        if ((lookupOptions as { all?: boolean }).all) return callback(null, usable);
        callback(null, usable[0]!.address, usable[0]!.family);
      });
    };
    return new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = {};
      options.headers.forEach((value, name) => (headers[name] = value));
      const req = request(url, { method: "GET", headers, signal: options.signal, lookup: guardedLookup as never }, (res) => {
        const peer = res.socket.remoteAddress;
        if (!peer || !this.addressAllowed(peer)) {
          res.destroy();
          return reject(new Error("the JWKS server's address is private, loopback or link-local and not allowed"));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBytes) {
            res.destroy();
            reject(new Error(`the JWKS is larger than ${this.maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        res.on("end", () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") responseHeaders.set(name, value);
          const status = res.statusCode ?? 500;
          // Anything but 200 (a redirect included) fails the fetch in jose; no body is kept for it.
          resolve(status === 200 ? new Response(Buffer.concat(chunks), { status, headers: responseHeaders }) : new Response(null, { status: status >= 200 && status <= 599 && ![204, 205, 304].includes(status) ? status : 502 }));
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  };
}
