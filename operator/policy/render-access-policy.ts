// AccessPolicy -> Istio objects: the AuthorizationPolicy of its rules (in shards when it is
// large) and, when tokens are involved, a RequestAuthentication and a policy that refuses
// requests without one. Workload mTLS is rendered per target identity with the namespace
// baseline, since it depends on every policy of that target. Pure: the same inputs give
// byte-identical output.
//
// Per data plane (api.md "Data planes"): a target on sidecars (or proxyless gRPC) gets the
// selector-bound form below; an ambient target gets the ztunnel + waypoint form of
// render-ambient.ts; a namespace migrating between them gets both (their names differ).
import type { AccessPolicy, UnresolvedSource } from "../api/types.js";
import type { RenderConfig } from "../config.js";
import { sidecarEverywhere, type DataPlaneLookup } from "../dataplane/data-plane.js";
import { policyHashOf } from "../render/content-hash.js";
import { gateName, jwtName, shardName } from "../render/names.js";
import { requestAuthenticationSpec, requireJwtPolicySpec } from "./authentication.js";
import type { IdentityLookup } from "./identity-lookup.js";
import type { AuthorizationPolicySpec, IstioRule, RenderedObject, RenderedSpec, WorkloadSelectorSpec } from "./istio-types.js";
import { actionOf, istioActionOf } from "./policy-action.js";
import { policyObjectMetadata } from "./policy-metadata.js";
import { customGateSpec, gatedOperationRules, gateOn, renderRefusal, type Refusal } from "./credential-gate.js";
import { mergeRulesWithSameCallers } from "./merge-rules.js";
import { resolveRules } from "./resolve-rules.js";
import { byKindThenName, istioObject } from "./rendered-object.js";
import { jsonBytes, SHARD_BUDGET_BYTES, shardRules } from "./shard.js";
import { refusedAmbientSpecs, renderAmbientForm, type AmbientRenderNotes } from "./render-ambient.js";
import { resolveTarget } from "./target.js";
import { tenantIsolationFor } from "./tenant-isolation.js";

export interface PolicyRenderResult {
  /** Sorted by kind, then name. */
  objects: RenderedObject[];
  /** The policy's version: sha256 over the sorted (kind, name, content hash) of its objects (render/content-hash.ts). */
  policyHash: string;
  unresolved: UnresolvedSource[];
  target: { resolved: boolean; reason?: string; message?: string };
  resolvedSources: number;
  /**
   * Refused as written, and why (Rendered=False with this reason); see renderRefused for what
   * is still rendered. For an ambient target, also `WaypointRequired` (reasons.ts
   * DataPlaneReason): an Allow with L7 attributes and no waypoint, which admits nobody.
   */
  refused?: Refusal;
  /** Present when the target has an ambient form: its waypoint, Services and what was widened or not rendered. */
  ambient?: AmbientRenderNotes;
}

export function renderAccessPolicy(policy: AccessPolicy, identities: IdentityLookup, config: RenderConfig, dataPlanes: DataPlaneLookup = sidecarEverywhere): PolicyRenderResult {
  const target = resolveTarget(policy, identities);
  if (!target.resolved) {
    return { objects: [], policyHash: policyHashOf([]), unresolved: [], target: { resolved: false, reason: target.reason, message: target.message }, resolvedSources: 0 };
  }
  const planes = dataPlanes.forTarget(policy.metadata.namespace, target.selector?.matchLabels);
  const sidecar = planes.forms.includes("sidecar");
  const ambient = planes.forms.includes("ambient");
  const refused = renderRefusal(policy, target.identity, identities);
  if (refused) {
    const ambientSpecs = ambient ? refusedAmbientSpecs(policy.metadata.name, target.selector, actionOf(policy) === "Allow" && policy.spec.authentication?.requireJWT === true, planes.waypoint, planes.services) : [];
    const ambientOnly = actionOf(policy) === "Allow" ? ambientSpecs : [];
    return renderRefused(policy, target.selector, refused, sidecar, ambientOnly);
  }
  const action = actionOf(policy);
  const issuers = policy.spec.authentication?.jwt ?? [];
  const context = {
    policyNamespace: policy.metadata.namespace,
    identities,
    trustDomain: config.trustDomain,
    ...(action === "Allow" ? { declaredIssuers: new Set(issuers.map((issuer) => issuer.issuer)) } : { assumeMissingIdentities: true, includeUnverifiedClaims: true }),
    isolation: tenantIsolationFor(policy, target.identity, identities, config.trustDomain),
    apiKeys: policy.spec.authentication?.apiKeys?.keys,
    gateOn: gateOn(policy),
  };
  const resolved = resolveRules(policy.spec.rules ?? [], action, context);
  const gated = context.gateOn ? gatedOperationRules(policy.spec.rules ?? [], context) : [];
  const selector = target.selector;
  const specs: RenderedSpec[] = [];
  let ambientNotes: AmbientRenderNotes | undefined;
  let ambientRefused: Refusal | undefined;
  if (ambient) {
    const rendered = renderAmbientForm({
      policyName: policy.metadata.name,
      action,
      selector,
      dataPlanes: planes,
      rules: resolved.rules,
      gated,
      requireJWT: policy.spec.authentication?.requireJWT === true,
      issuers,
      budgetBytes: config.shardBudgetBytes ?? SHARD_BUDGET_BYTES,
    });
    specs.push(...rendered.specs);
    ambientNotes = rendered.notes;
    ambientRefused = rendered.refused;
  }
  // An ALLOW policy without rules still selects its workloads and allows nothing there.
  // DENY and AUDIT without rules match nothing, and Istio refuses a DENY without rules.
  if (sidecar && (action === "Allow" || resolved.rules.length > 0)) {
    const envelope = selector ? { selector, action: istioActionOf(action), rules: [] } : { action: istioActionOf(action), rules: [] };
    const shards = shardRules([...mergeRulesWithSameCallers(resolved.rules), ...gated], { budgetBytes: config.shardBudgetBytes ?? SHARD_BUDGET_BYTES, envelopeBytes: jsonBytes(envelope) });
    for (const { n, rules } of shards) {
      specs.push({ kind: "AuthorizationPolicy", name: shardName(policy.metadata.name, n), spec: istioPolicySpec(istioActionOf(action), rules, selector) });
    }
  }
  if (sidecar && gated.length > 0) {
    specs.push({ kind: "AuthorizationPolicy", name: gateName(policy.metadata.name), spec: customGateSpec(gated, selector) });
  }
  if (sidecar && policy.spec.authentication?.requireJWT) {
    specs.push({ kind: "AuthorizationPolicy", name: jwtName(policy.metadata.name), spec: requireJwtPolicySpec(selector) });
  }
  if (sidecar && issuers.length > 0) {
    specs.push({ kind: "RequestAuthentication", name: jwtName(policy.metadata.name), spec: requestAuthenticationSpec(issuers, selector) });
  }
  specs.sort(byKindThenName);
  const objects = specs.map((rendered) => istioObject(rendered, policyObjectMetadata(policy, rendered)));
  return {
    objects,
    policyHash: policyHashOf(objects),
    unresolved: resolved.unresolved,
    target: { resolved: true },
    resolvedSources: resolved.resolvedSources,
    ...(ambientRefused ? { refused: ambientRefused } : {}),
    ...(ambientNotes ? { ambient: ambientNotes } : {}),
  };
}

/**
 * A policy the renderer refuses (see renderRefusal): an Allow keeps selecting its workloads
 * and admits nobody, and its require-JWT Deny stays (without a RequestAuthentication no
 * request carries a verified token, so it denies every request): dropping it would let other
 * policies of the target admit requests without a token. A Deny or Audit renders nothing new.
 */
function renderRefused(policy: AccessPolicy, selector: WorkloadSelectorSpec | undefined, refused: Refusal, sidecar: boolean, ambientSpecs: RenderedSpec[]): PolicyRenderResult {
  const specs: RenderedSpec[] = [...ambientSpecs];
  if (sidecar && actionOf(policy) === "Allow") {
    specs.push({ kind: "AuthorizationPolicy", name: shardName(policy.metadata.name, 0), spec: istioPolicySpec("ALLOW", [], selector) });
    if (policy.spec.authentication?.requireJWT) specs.push({ kind: "AuthorizationPolicy", name: jwtName(policy.metadata.name), spec: requireJwtPolicySpec(selector) });
  }
  specs.sort(byKindThenName);
  const objects = specs.map((rendered) => istioObject(rendered, policyObjectMetadata(policy, rendered)));
  return { objects, policyHash: policyHashOf(objects), unresolved: [], target: { resolved: true }, resolvedSources: 0, refused };
}

/** Keys in sorted order, as the hash and the YAML writer read them; literals, as this runs for every policy. */
function istioPolicySpec(action: AuthorizationPolicySpec["action"], rules: IstioRule[], selector: WorkloadSelectorSpec | undefined): AuthorizationPolicySpec {
  if (rules.length === 0) return selector ? { action, selector } : { action };
  return selector ? { action, rules, selector } : { action, rules };
}
