// Metadata of every object rendered from an AccessPolicy: who owns it, which version of
// the policy it was written for, and whether Istio enforces it or only logs it.
import type { AccessPolicy } from "../api/types.js";
import {
  controllerReference,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  ISTIO_DRY_RUN_ANNOTATION,
  POLICY_LABEL,
  SOURCE_GENERATION_ANNOTATION,
} from "../render/metadata.js";
import type { RenderedMetadata, RenderedSpec } from "./istio-types.js";

export { ISTIO_DRY_RUN_ANNOTATION };

export function policyObjectMetadata(policy: AccessPolicy, rendered: RenderedSpec): Omit<RenderedMetadata, "name"> {
  // Istio honours dry-run on AuthorizationPolicy only; elsewhere it would suggest a safety that is not there.
  // istiod's admission refuses it on AUDIT (and CUSTOM): ALLOW and DENY only. An AUDIT
  // policy never decides a request, so rendering it without the annotation enforces nothing.
  const action = rendered.kind === "AuthorizationPolicy" ? (rendered.spec.action ?? "ALLOW") : undefined;
  const dryRun = policy.spec.dryRun === true && (action === "ALLOW" || action === "DENY");
  // Built field by field rather than with spreads: this runs for every rendered object.
  // The content hash is added beside these by istioObject.
  const annotations: Record<string, string> = dryRun
    ? { [ISTIO_DRY_RUN_ANNOTATION]: "true", [SOURCE_GENERATION_ANNOTATION]: String(policy.metadata.generation ?? 0) }
    : { [SOURCE_GENERATION_ANNOTATION]: String(policy.metadata.generation ?? 0) };
  const metadata: Omit<RenderedMetadata, "name"> = {
    namespace: policy.metadata.namespace,
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [POLICY_LABEL]: policy.metadata.name },
    annotations,
  };
  // A policy read from a file (CLI, evaluator) has no uid and so no owner to point at;
  // one read from the API always has.
  if (policy.metadata.uid) metadata.ownerReferences = [controllerReference(policy)];
  return metadata;
}
