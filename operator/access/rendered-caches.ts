// The caches of the Istio kinds the operator renders, looked up by kind.
import type { Caches } from "../caches.js";

export function renderedCaches(caches: Caches) {
  return [caches.authorizationPolicies, caches.peerAuthentications, caches.requestAuthentications];
}

export function renderedCacheFor(caches: Caches, kind: string) {
  switch (kind) {
    case "AuthorizationPolicy":
      return caches.authorizationPolicies;
    case "PeerAuthentication":
      return caches.peerAuthentications;
    case "RequestAuthentication":
      return caches.requestAuthentications;
    default:
      throw new Error(`the operator does not render ${kind}`);
  }
}

/** Objects of the kind without our label, by name and owners only (caches.ts, namesakes). */
export function unmanagedCacheFor(caches: Caches, kind: string) {
  switch (kind) {
    case "AuthorizationPolicy":
      return caches.unmanagedAuthorizationPolicies;
    case "PeerAuthentication":
      return caches.unmanagedPeerAuthentications;
    case "RequestAuthentication":
      return caches.unmanagedRequestAuthentications;
    default:
      throw new Error(`the operator does not render ${kind}`);
  }
}

export function unmanagedRenderedCaches(caches: Caches) {
  return [caches.unmanagedAuthorizationPolicies, caches.unmanagedPeerAuthentications, caches.unmanagedRequestAuthentications];
}
