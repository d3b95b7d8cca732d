// Request and policy builders shared by the evaluator's tests.
import type { AuthorizationPolicyObject, AuthorizationPolicySpec } from "../authorization-policy.js";
import type { AccessRequest } from "../request.js";

export const CALLER = "cluster.local/ns/shop/sa/frontend";
export const ISSUER = "https://idp.example.com";

type RequestChanges = {
  source?: AccessRequest["source"];
  workload?: Partial<AccessRequest["workload"]>;
  operation?: Partial<AccessRequest["operation"]>;
};

/** GET /api/items on port 8080 of app=backend in namespace shop, from CALLER over mTLS, no token. */
export function request(changes: RequestChanges = {}): AccessRequest {
  return {
    source: changes.source ?? { principal: CALLER },
    workload: { namespace: "shop", labels: { app: "backend" }, ...changes.workload },
    operation: { method: "GET", path: "/api/items", port: 8080, ...changes.operation },
  };
}

export function withToken(subject: string, extra: Partial<AccessRequest["source"]> = {}): AccessRequest["source"] {
  return { principal: CALLER, requestPrincipal: `${ISSUER}/${subject}`, ...extra };
}

export function policy(
  namespace: string,
  name: string,
  spec: AuthorizationPolicySpec,
  annotations?: Record<string, string>,
): AuthorizationPolicyObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec,
  };
}
