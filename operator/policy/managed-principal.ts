// Istio principals of the form <trustDomain>/ns/<namespace>/sa/<serviceAccount> name a
// service account, which may be the identity of EngineIdentities managed here.
import { principalOfSpiffeId } from "../identity/spiffe.js";

export interface ServiceAccountPrincipal {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

export function isSpiffeId(id: string): boolean {
  return id.startsWith("spiffe://");
}

/** The parts of a principal of Istio's service-account form, or undefined for any other. */
export function parseServiceAccountPrincipal(principal: string): ServiceAccountPrincipal | undefined {
  const parts = principal.split("/");
  if (parts.length !== 5 || parts[1] !== "ns" || parts[3] !== "sa") return undefined;
  const [trustDomain, , namespace, , serviceAccount] = parts as [string, string, string, string, string];
  if (!trustDomain || !namespace || !serviceAccount) return undefined;
  return { trustDomain, namespace, serviceAccount };
}

export function parseServiceAccountSpiffeId(id: string): ServiceAccountPrincipal | undefined {
  return isSpiffeId(id) ? parseServiceAccountPrincipal(principalOfSpiffeId(id)) : undefined;
}
