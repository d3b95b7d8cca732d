// The caches of the Istio kinds the operator renders, looked up by kind: those of our objects
// (selected by our label) and those of the objects of that kind without it (namesakes, kept
// by name and owners only: caches.ts).
import type { Caches } from "../caches.js";

export function renderedCaches(caches: Caches) {
  return [caches.authorizationPolicies, caches.peerAuthentications, caches.requestAuthentications];
}

export function unmanagedRenderedCaches(caches: Caches) {
  return [caches.unmanagedAuthorizationPolicies, caches.unmanagedPeerAuthentications, caches.unmanagedRequestAuthentications];
}

function cachesOfKind(caches: Caches, kind: string) {
  switch (kind) {
    case "AuthorizationPolicy":
      return { managed: caches.authorizationPolicies, unmanaged: caches.unmanagedAuthorizationPolicies };
    case "PeerAuthentication":
      return { managed: caches.peerAuthentications, unmanaged: caches.unmanagedPeerAuthentications };
    case "RequestAuthentication":
      return { managed: caches.requestAuthentications, unmanaged: caches.unmanagedRequestAuthentications };
    default:
      throw new Error(`the operator does not render ${kind}`);
  }
}

export function renderedCacheFor(caches: Caches, kind: string) {
  return cachesOfKind(caches, kind).managed;
}

/** Objects of the kind without our label, by name and owners only. */
export function unmanagedCacheFor(caches: Caches, kind: string) {
  return cachesOfKind(caches, kind).unmanaged;
}
