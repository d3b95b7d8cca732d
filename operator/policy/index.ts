// The pure AccessPolicy renderer: what the reconciler, the CLI and the evaluator use.
export { DerivedAnswers, identityLookupOf, type IdentityFacts, type IdentityLookup } from "./identity-lookup.js";
export { policyReferences, type PolicyReferences } from "./policy-references.js";
export { renderAccessPolicy, type PolicyRenderResult } from "./render-access-policy.js";
export { renderNamespaceBaseline, DEFAULT_DENY_NAME, STRICT_MTLS_NAME } from "./namespace-baseline.js";
export { NO_CALLER_PRINCIPAL, NO_CALLER_TRUST_DOMAIN, reservedTrustDomainProblem } from "./no-caller.js";
export { renderNamespaceObjects, renderWorkloadMtls, workloadMtlsName, type WorkloadMtlsOptions } from "./workload-mtls.js";
export { SHARD_BUDGET_BYTES } from "./shard.js";
export * as names from "../render/names.js";
export { ISTIO_DRY_RUN_ANNOTATION } from "./policy-metadata.js";
export { SourceReason, TargetReason } from "./reasons.js";
export type {
  AuthorizationPolicySpec,
  IstioAction,
  IstioCondition,
  IstioJwtRule,
  IstioOperation,
  IstioRule,
  IstioSource,
  PeerAuthenticationSpec,
  RenderedAuthorizationPolicy,
  RenderedMetadata,
  RenderedObject,
  RenderedPeerAuthentication,
  RenderedRequestAuthentication,
  RequestAuthenticationSpec,
  WorkloadSelectorSpec,
} from "./istio-types.js";
export { ISTIO_SECURITY_API_VERSION } from "./istio-types.js";
