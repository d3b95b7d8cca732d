// The request being judged, and the attributes Istio would see for it. Normalising once
// here (namespace from the peer principal, issuer and subject of the token, path without
// its query) keeps every matcher a plain comparison.

import type { DataPlane } from "../dataplane/data-plane.js";

/** The waypoint an ambient call goes through, and the Service it routes the call to (what binds the waypoint's policies, never a Host header). */
export interface WaypointHop {
  /** The waypoint's peer principal as ztunnel at the destination sees it (`<td>/ns/<ns>/sa/<sa>`). */
  principal: string;
  /** The Service of the destination's namespace the waypoint routes to. */
  service: string;
}

export interface AccessRequest {
  /**
   * The data plane running the destination. Default sidecar. ambient: ztunnel decides on
   * the connection (the waypoint's principal when `waypoint` is set, else the caller's) and
   * the waypoint, when the call goes through one, on the request.
   */
  dataPlane?: DataPlane;
  /** For ambient: the waypoint the call goes through; absent, the call reaches ztunnel directly (pod IP, or no waypoint). */
  waypoint?: WaypointHop;
  source: {
    /** Istio peer principal of the caller, without spiffe://; absent for plaintext. */
    principal?: string;
    /** Defaults to the namespace in the principal (`<td>/ns/<ns>/sa/<sa>`). */
    namespace?: string;
    /** "<iss>/<sub>" of a valid JWT; absent when the request carries none. */
    requestPrincipal?: string;
    claims?: Record<string, string[]>;
    audiences?: string[];
  };
  workload: { namespace: string; labels: Record<string, string> };
  operation: {
    method: string;
    path: string;
    port: number;
    /** Only needed for `request.headers[...]` conditions. */
    headers?: Record<string, string>;
  };
}

export interface RequestAttributes {
  principal?: string;
  namespace?: string;
  requestPrincipal?: { issuer: string; subject: string; text: string };
  claims: Record<string, string[]>;
  audiences: string[];
  method: string;
  path: string;
  port: string;
  /** Keyed by lower-case name: HTTP header names are case-insensitive. */
  headers: Record<string, string>;
}

export function attributesOf(request: AccessRequest): RequestAttributes {
  const { operation } = request;
  const source = { ...request.source, principal: withoutScheme(request.source.principal) };
  const namespace = source.namespace ?? (source.principal ? namespaceOfPrincipal(source.principal) : undefined);
  const requestPrincipal = source.requestPrincipal ? splitRequestPrincipal(source.requestPrincipal, source.claims) : undefined;
  return {
    ...(source.principal ? { principal: source.principal } : {}),
    ...(namespace ? { namespace } : {}),
    ...(requestPrincipal ? { requestPrincipal } : {}),
    // Claims and audiences only exist for an authenticated token.
    claims: requestPrincipal ? (source.claims ?? {}) : {},
    audiences: requestPrincipal ? (source.audiences ?? source.claims?.["aud"] ?? []) : [],
    method: operation.method,
    path: withoutQuery(operation.path),
    port: String(operation.port),
    headers: Object.fromEntries(Object.entries(operation.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
}

/** The namespace segment of `<td>/ns/<ns>/sa/<sa>`, or undefined for other shapes. */
export function namespaceOfPrincipal(principal: string): string | undefined {
  const match = /\/ns\/([^/]+)\//.exec(principal);
  return match?.[1];
}

// Istio builds the request principal as iss + "/" + sub; when the token's claims are
// given they say where the issuer ends, otherwise the last "/" does (as Istio's own
// pattern split assumes).
function splitRequestPrincipal(text: string, claims: Record<string, string[]> | undefined): RequestAttributes["requestPrincipal"] {
  const issuer = claims?.["iss"]?.[0];
  const subject = claims?.["sub"]?.[0];
  if (issuer !== undefined && subject !== undefined && `${issuer}/${subject}` === text) return { issuer, subject, text };
  const cut = text.lastIndexOf("/");
  return cut < 0 ? { issuer: text, subject: "", text } : { issuer: text.slice(0, cut), subject: text.slice(cut + 1), text };
}

// People paste SPIFFE IDs where the principal is asked for; Istio matches without the scheme.
function withoutScheme(principal: string | undefined): string | undefined {
  return principal?.startsWith("spiffe://") ? principal.slice("spiffe://".length) : principal;
}

// Envoy's path matcher compares the path without its query string.
function withoutQuery(path: string): string {
  const cut = path.search(/[?#]/);
  return cut < 0 ? path : path.slice(0, cut);
}
