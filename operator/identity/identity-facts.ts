// What the rest of the operator needs to know about an EngineIdentity, derived in one place.
import type { EngineIdentity } from "../api/types.js";
import { principal, spiffeId } from "./spiffe.js";

export function serviceAccountOf(identity: EngineIdentity): string {
  return identity.spec.serviceAccountName ?? identity.metadata.name;
}

export function spiffeIdOf(identity: EngineIdentity, trustDomain: string): string {
  return spiffeId(trustDomain, identity.metadata.namespace, serviceAccountOf(identity));
}

export function principalOf(identity: EngineIdentity, trustDomain: string): string {
  return principal(trustDomain, identity.metadata.namespace, serviceAccountOf(identity));
}
