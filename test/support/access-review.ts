// What the apiserver's authorizer says a user may do: a SelfSubjectAccessReview sent with
// that user's own credentials, so the answer is the real RBAC decision, not a reading of it.
import type { KubeConfig } from "@kubernetes/client-node";
import { rawRequest } from "../controlplane/raw-request.js";

export async function mayDo(config: KubeConfig, attributes: Record<string, string>): Promise<boolean> {
  const review = await rawRequest(config, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
    contentType: "application/json",
    data: JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: attributes } }),
  });
  if (review.status !== 201) throw new Error(`SelfSubjectAccessReview: HTTP ${review.status} ${review.body}`);
  return (JSON.parse(review.body) as { status: { allowed: boolean } }).status.allowed;
}
