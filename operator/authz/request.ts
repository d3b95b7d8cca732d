// What the gate reads from Envoy's CheckRequest, in one normalised shape. Envoy lower-cases
// header names and puts the query string in the path; with encode_raw_headers it sends
// header_map with raw bytes instead of the headers map, and both are read here.

/** The parts of envoy.service.auth.v3.CheckRequest the gate reads (proto field names). */
export interface CheckRequestMessage {
  attributes?: {
    source?: PeerMessage;
    destination?: PeerMessage;
    request?: {
      http?: {
        id?: string;
        method?: string;
        headers?: Record<string, string>;
        header_map?: { headers?: Array<{ key?: string; value?: string; raw_value?: Buffer | Uint8Array }> };
        path?: string;
        host?: string;
      };
    };
  };
}

interface PeerMessage {
  address?: { socket_address?: { address?: string; port_value?: number } };
  principal?: string;
}

/** A request's headers by lower-cased name. */
export interface RequestHeaders {
  get(name: string): string | undefined;
}

export interface GateRequest {
  /** Lower-cased names; for a name sent more than once, the values joined with ",". */
  headers: RequestHeaders;
  method: string;
  /** The path without query string or fragment, whole (audit records cut what they keep). */
  path: string;
  host: string;
  /** Destination port, when Envoy names it. */
  port?: number;
  /**
   * Destination IP, when Envoy names it: the connection's local address. At a waypoint, the
   * address the request was tunnelled to (a Service's cluster IP), which chose the filter
   * chain and so the Service whose policies run there (waypoint-lookup.ts).
   */
  destinationAddress?: string;
  /** The caller's SPIFFE ID from its certificate's URI SAN, when it presented one. */
  sourcePrincipal?: string;
  sourceAddress?: string;
  destinationPrincipal?: string;
  requestId?: string;
  /** x-forwarded-for of the request, read only when it came through a trusted gateway. */
  forwardedFor?: string;
}

// Audit records and metrics carry these; a hostile request must not make them large.
export const MAX_RECORDED_LENGTH = 1024;

export function gateRequestOf(message: CheckRequestMessage): GateRequest {
  const attributes = message.attributes ?? {};
  const http = attributes.request?.http ?? {};
  const headers = headersOf(http);
  const fullPath = http.path || headers.get(":path") || "/";
  const cut = fullPath.search(/[?#]/);
  const port = attributes.destination?.address?.socket_address?.port_value;
  const requestId = headers.get("x-request-id") || http.id;
  const request: GateRequest = {
    headers,
    method: (http.method || headers.get(":method") || "").slice(0, 16),
    path: cut >= 0 ? fullPath.slice(0, cut) : fullPath,
    host: (http.host || headers.get(":authority") || headers.get("host") || "").slice(0, MAX_RECORDED_LENGTH),
  };
  // Set one by one (not spread in): this runs for every Check.
  if (port) request.port = port;
  const destinationAddress = attributes.destination?.address?.socket_address?.address;
  if (destinationAddress) request.destinationAddress = destinationAddress.slice(0, MAX_RECORDED_LENGTH);
  const sourcePrincipal = attributes.source?.principal;
  if (sourcePrincipal) request.sourcePrincipal = sourcePrincipal.slice(0, MAX_RECORDED_LENGTH);
  const sourceAddress = attributes.source?.address?.socket_address?.address;
  if (sourceAddress) request.sourceAddress = sourceAddress.slice(0, MAX_RECORDED_LENGTH);
  const destinationPrincipal = attributes.destination?.principal;
  if (destinationPrincipal) request.destinationPrincipal = destinationPrincipal.slice(0, MAX_RECORDED_LENGTH);
  if (requestId) request.requestId = requestId.slice(0, MAX_RECORDED_LENGTH);
  const forwardedFor = headers.get("x-forwarded-for");
  if (forwardedFor) request.forwardedFor = forwardedFor;
  return request;
}

type HttpAttributes = NonNullable<NonNullable<NonNullable<CheckRequestMessage["attributes"]>["request"]>["http"]>;

// A name with an upper-case or non-ASCII letter: one that lower-casing could change.
const NOT_LOWER_CASE = /[A-Z\u0080-\uffff]/;

function headersOf(http: HttpAttributes): RequestHeaders {
  const raw = http.header_map?.headers;
  const map = http.headers ?? {};
  if (!(raw && raw.length > 0)) {
    // Envoy sends the headers map with lower-cased names (HTTP/2 allows no others): such a
    // map is read where it is rather than copied into a Map for every Check.
    let lowerCase = true;
    for (const name in map) {
      if (NOT_LOWER_CASE.test(name)) {
        lowerCase = false;
        break;
      }
    }
    if (lowerCase) return new HeaderObject(map);
  }
  const headers = new Map<string, string>();
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const known = headers.get(key);
    headers.set(key, known === undefined ? value : `${known},${value}`);
  };
  if (raw && raw.length > 0) {
    // Raw bytes as latin1: every byte stays one character, so nothing invalid is invented
    // and a non-ASCII key simply fails the key format.
    for (const h of raw) if (h.key) add(h.key, h.raw_value && h.raw_value.length > 0 ? Buffer.from(h.raw_value).toString("latin1") : (h.value ?? ""));
  } else {
    // Keys only: Object.entries would make a pair for every header of every Check.
    for (const name of Object.keys(map)) add(name, map[name]!);
  }
  return headers;
}

/** The decoded headers map as it is. Own properties only: "constructor" or "__proto__" must not find what every object inherits. */
class HeaderObject implements RequestHeaders {
  constructor(private readonly map: Readonly<Record<string, string>>) {}

  get(name: string): string | undefined {
    return Object.hasOwn(this.map, name) ? this.map[name] : undefined;
  }
}
