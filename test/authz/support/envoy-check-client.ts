// A Check client that builds CheckRequests the way Envoy's ext_authz filter does (no Envoy
// binary exists on these machines): header names lower-cased, pseudo-headers :authority,
// :method and :path in the headers map, the path with its query string, the caller's
// principal taken from the URI SAN of the peer certificate, and the destination's address
// and principal (a waypoint's Envoy sends no principals, and the Service's cluster IP). Optionally header_map with raw bytes, as with encode_raw_headers.
// The gRPC call carries x-forwarded-client-cert as the gate's own Istio sidecar adds it
// (APPEND_FORWARD: one element for the certificate the Check's sender presented, last), by
// default naming the destination itself, as when the destination's own proxy asks.
import { X509Certificate } from "node:crypto";
import { credentials, Metadata, type ChannelCredentials, type Client, type ServiceError } from "@grpc/grpc-js";
import { authorizationService } from "../../../operator/authz/protos.js";

export interface EnvoyRequest {
  method?: string;
  /** Path with query string, as on the wire. */
  path: string;
  host?: string;
  headers?: Record<string, string>;
  /** Sent as header_map entries with raw_value bytes instead of the headers map. */
  rawHeaders?: Array<[string, Buffer]>;
  /** The peer certificate (PEM) the caller presented over mTLS, if any. */
  peerCertificatePem?: string;
  sourceAddress?: string;
  destinationPrincipal?: string;
  /** The destination IP (default 127.0.0.1); a waypoint's Envoy sends the Service's cluster IP. */
  destinationAddress?: string;
  destinationPort?: number;
  requestId?: string;
}

export interface CheckAnswer {
  /** 200 for OK, else the denied_response status. */
  status: number;
  rpcCode: number;
  headers: Record<string, string>;
  headersToRemove: string[];
  body: string;
}

/** The gate's SPIFFE ID in the tests: the By= of the XFCC element its sidecar adds. */
export const TEST_GATE_SPIFFE_ID = "spiffe://cluster.local/ns/nexus-system/sa/nexus-authz";

/** The XFCC element the gate's sidecar appends for a sender with this SPIFFE ID. */
export function sidecarXfccFor(senderSpiffeId: string, by = TEST_GATE_SPIFFE_ID): string {
  return `By=${by};Hash=${"ab".repeat(32)};Subject="";URI=${senderSpiffeId}`;
}

export interface CheckOptions {
  /**
   * The x-forwarded-client-cert of the gRPC call. Default: the element the gate's sidecar
   * adds for the destination's own proxy; null: none at all.
   */
  xfcc?: string | null;
}

/** The URI SAN of a certificate, as Envoy sets source.principal from it. */
export function principalOfCertificate(pem: string): string | undefined {
  const san = new X509Certificate(pem).subjectAltName ?? "";
  const uri = san.split(", ").find((entry) => entry.startsWith("URI:"));
  return uri?.slice("URI:".length);
}

let requestCounter = 0;

export function envoyCheckRequest(request: EnvoyRequest): Record<string, unknown> {
  const method = request.method ?? "GET";
  const host = request.host ?? "ledger.default.svc.cluster.local:8080";
  const requestId = request.requestId ?? `req-${process.pid}-${++requestCounter}`;
  const headers: Record<string, string> = { ":authority": host, ":method": method, ":path": request.path, ":scheme": "http", "x-request-id": requestId };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const principal = request.peerCertificatePem ? principalOfCertificate(request.peerCertificatePem) : undefined;
  const now = Date.now();
  return {
    attributes: {
      source: { address: { socket_address: { address: request.sourceAddress ?? "127.0.0.1", port_value: 40000 + (requestCounter % 20000) } }, ...(principal ? { principal } : {}) },
      destination: {
        address: { socket_address: { address: request.destinationAddress ?? "127.0.0.1", port_value: request.destinationPort ?? 8080 } },
        ...(request.destinationPrincipal ? { principal: request.destinationPrincipal } : {}),
      },
      request: {
        time: { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 },
        http: {
          id: String(requestCounter),
          method,
          path: request.path,
          host,
          scheme: "http",
          protocol: "HTTP/1.1",
          ...(request.rawHeaders
            ? { header_map: { headers: [...Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })), ...request.rawHeaders.map(([key, value]) => ({ key: key.toLowerCase(), raw_value: value }))] } }
            : { headers }),
        },
      },
    },
  };
}

interface RawCheckResponse {
  status?: { code?: number };
  ok_response?: { headers?: Array<{ header?: { key: string; value: string } }>; headers_to_remove?: string[] };
  denied_response?: { status?: { code?: string | number }; headers?: Array<{ header?: { key: string; value: string } }>; body?: string };
}

const HTTP_STATUS: Record<string, number> = { Unauthorized: 401, Forbidden: 403, TooManyRequests: 429, ServiceUnavailable: 503 };

export class EnvoyCheckClient {
  private readonly client: Client & { Check: (req: unknown, cb: (err: ServiceError | null, res: RawCheckResponse) => void) => void };

  constructor(address: string, channelCredentials: ChannelCredentials = credentials.createInsecure()) {
    const Service = authorizationService();
    this.client = new Service(address, channelCredentials, { "grpc.max_send_message_length": 8 * 1024 * 1024 }) as never;
  }

  /** Sends one Check; a gRPC error rejects (the gate must never answer with one). */
  checkRaw(message: Record<string, unknown>, options: CheckOptions = {}): Promise<CheckAnswer> {
    const metadata = new Metadata();
    const destination = (message as { attributes?: { destination?: { principal?: string } } }).attributes?.destination?.principal;
    const xfcc = options.xfcc === undefined ? (destination ? sidecarXfccFor(destination) : undefined) : options.xfcc;
    if (xfcc !== null && xfcc !== undefined) metadata.set("x-forwarded-client-cert", xfcc);
    return new Promise((resolve, reject) =>
      (this.client.Check as unknown as (req: unknown, md: Metadata, cb: (err: ServiceError | null, res: RawCheckResponse) => void) => void).call(this.client, message, metadata, (err: ServiceError | null, res: RawCheckResponse) => {
        if (err) return reject(err);
        const ok = res.status?.code === 0 || res.status?.code === undefined;
        const headerList = (ok ? res.ok_response?.headers : res.denied_response?.headers) ?? [];
        const headers = Object.fromEntries(headerList.filter((h) => h.header).map((h) => [h.header!.key.toLowerCase(), h.header!.value]));
        const code = res.denied_response?.status?.code;
        resolve({
          status: ok ? 200 : typeof code === "number" ? code : (HTTP_STATUS[code ?? ""] ?? Number(code)),
          rpcCode: res.status?.code ?? 0,
          headers,
          headersToRemove: res.ok_response?.headers_to_remove ?? [],
          body: res.denied_response?.body ?? "",
        });
      }),
    );
  }

  check(request: EnvoyRequest, options: CheckOptions = {}): Promise<CheckAnswer> {
    return this.checkRaw(envoyCheckRequest(request), options);
  }

  close(): void {
    this.client.close();
  }
}
