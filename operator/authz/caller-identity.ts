// Who is asking the gate: the mesh identity of the proxy that sent the Check. Only the
// destination's own proxy may ask about requests to it (see who-may-ask.ts), so the gate
// must know its caller from something the caller cannot write itself:
// - behind the gate's own Istio sidecar: the x-forwarded-client-cert (XFCC) header of the
//   gRPC call. Istio's inbound listeners run Envoy with APPEND_FORWARD: whatever XFCC the
//   client sent is kept and the sidecar appends one element for the certificate the client
//   presented on the mTLS connection. A client can forge any element but the last one, so
//   only the last element is read, and only when its By= names the gate's own identity
//   (when configured), which proves the gate's sidecar wrote it;
// - the gate's own mTLS: the URI SAN of the client certificate its TLS server verified.
// Pure: no I/O, unit-tested.

/** One XFCC element: keys lower-cased, each with every value it carried (URI and DNS repeat). */
export type XfccElement = Map<string, string[]>;

/**
 * Splits an XFCC header into elements (separated by ",") of key=value pairs (separated by
 * ";"), values optionally in double quotes with backslash escapes (Subject holds both
 * separators). Returns undefined for a header it cannot read whole: a malformed header
 * must not be read as a shorter, different one.
 */
export function parseXfcc(header: string): XfccElement[] | undefined {
  const elements: XfccElement[] = [];
  let element: XfccElement = new Map();
  let i = 0;
  const n = header.length;
  while (i <= n) {
    // key
    const eq = header.indexOf("=", i);
    if (eq < 0) return undefined;
    const key = header.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z]+$/.test(key)) return undefined;
    i = eq + 1;
    let value = "";
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = header[i]!;
        if (c === "\\" && i + 1 < n) {
          value += header[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return undefined;
    } else {
      let end = i;
      while (end < n && header[end] !== ";" && header[end] !== ",") end++;
      value = header.slice(i, end).trim();
      i = end;
    }
    const values = element.get(key);
    if (values) values.push(value);
    else element.set(key, [value]);
    if (i >= n) {
      elements.push(element);
      return elements;
    }
    const separator = header[i];
    if (separator === ";") i++;
    else if (separator === ",") {
      elements.push(element);
      element = new Map();
      i++;
    } else return undefined;
  }
  return undefined;
}

export interface XfccTrust {
  /** The gate's own SPIFFE ID: when set, the element read must carry By=<it>. */
  ownSpiffeId?: string;
}

export type CallerIdentity = { ok: true; spiffeId: string } | { ok: false; problem: string };

/**
 * The caller's SPIFFE ID from the element the gate's own sidecar appended: the last one.
 * Exactly one spiffe:// URI in it; By must be the gate's identity when that is configured.
 */
export function callerFromXfcc(header: string | undefined, trust: XfccTrust): CallerIdentity {
  if (!header) return { ok: false, problem: "no x-forwarded-client-cert: the Check did not come through the gate's sidecar over mTLS" };
  const elements = parseXfcc(header);
  const last = elements?.[elements.length - 1];
  if (!last) return { ok: false, problem: "x-forwarded-client-cert is malformed" };
  if (trust.ownSpiffeId !== undefined && !(last.get("by") ?? []).includes(trust.ownSpiffeId)) {
    return { ok: false, problem: "the last x-forwarded-client-cert element was not added by the gate's own sidecar (By differs)" };
  }
  return oneSpiffeUri(last.get("uri") ?? []);
}

/** The caller's SPIFFE ID from the URI SAN of the client certificate the gate's TLS verified. */
export function callerFromCertificate(subjectAltName: string | undefined): CallerIdentity {
  const uris = (subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice("URI:".length));
  return oneSpiffeUri(uris);
}

function oneSpiffeUri(uris: string[]): CallerIdentity {
  const spiffe = uris.filter((uri) => uri.startsWith("spiffe://"));
  if (spiffe.length !== 1) return { ok: false, problem: spiffe.length === 0 ? "the caller's certificate names no SPIFFE ID" : "the caller's certificate names several SPIFFE IDs" };
  return { ok: true, spiffeId: spiffe[0]! };
}
