// The API resources the operator reads and writes, with their REST paths.

export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const resources = {
  engineIdentity: { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", plural: "engineidentities", namespaced: true },
  accessPolicy: { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", plural: "accesspolicies", namespaced: true },
  certificate: { apiVersion: "cert-manager.io/v1", kind: "Certificate", plural: "certificates", namespaced: true },
  issuer: { apiVersion: "cert-manager.io/v1", kind: "Issuer", plural: "issuers", namespaced: true },
  clusterIssuer: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", plural: "clusterissuers", namespaced: false },
  authorizationPolicy: { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", plural: "authorizationpolicies", namespaced: true },
  peerAuthentication: { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", plural: "peerauthentications", namespaced: true },
  requestAuthentication: { apiVersion: "security.istio.io/v1", kind: "RequestAuthentication", plural: "requestauthentications", namespaced: true },
  secret: { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  namespace: { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  // Read only, to tell which data plane runs a target (operator/dataplane/detect.ts).
  service: { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  gateway: { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", plural: "gateways", namespaced: true },
  lease: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", namespaced: true },
} as const satisfies Record<string, ResourceType>;

export function collectionPath(type: ResourceType, namespace?: string): string {
  const prefix = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  return type.namespaced && namespace
    ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`
    : `${prefix}/${type.plural}`;
}

export function objectPath(type: ResourceType, name: string, namespace?: string): string {
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`;
}

export function resourceOf(apiVersion: string, kind: string): ResourceType {
  const found = Object.values(resources).find((r) => r.apiVersion === apiVersion && r.kind === kind);
  if (!found) throw new Error(`the operator does not manage ${kind} ${apiVersion}`);
  return found;
}
