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
