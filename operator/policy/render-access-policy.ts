// AccessPolicy -> Istio objects: the AuthorizationPolicy of its rules (in shards when it is
// large) and, when tokens are involved, a RequestAuthentication and a policy that refuses
// requests without one. Workload mTLS is rendered per target identity with the namespace
// baseline, since it depends on every policy of that target. Pure: the same inputs give
// byte-identical output.
import type { AccessPolicy, UnresolvedSource } from "../api/types.js";
import type { RenderConfig } from "../config.js";
import { canonicalDigest } from "../render/hash.js";
import { requestAuthenticationSpec, requireJwtPolicySpec } from "./authentication.js";
import type { IdentityLookup } from "./identity-lookup.js";
import type { AuthorizationPolicySpec, IstioRule, RenderedObject, RenderedSpec, WorkloadSelectorSpec } from "./istio-types.js";
import { actionOf, istioActionOf } from "./policy-action.js";
import { policyObjectMetadata } from "./policy-metadata.js";
import { customGateSpec, gatedOperationRules, gateName, gateOn, renderRefusal, type Refusal } from "./credential-gate.js";
import { mergeRulesWithSameCallers } from "./merge-rules.js";
import { resolveRules } from "./resolve-rules.js";
import { byKindThenName, istioObject } from "./rendered-object.js";
import { jsonBytes, SHARD_BUDGET_BYTES, shardName, shardRules } from "./shard.js";
import { resolveTarget } from "./target.js";
import { tenantIsolationFor } from "./tenant-isolation.js";

export interface PolicyRenderResult {
  /** Sorted by kind, then name. */
  objects: RenderedObject[];
  /** sha256 of the canonical JSON of the rendered kinds, names and specs. */
  policyHash: string;
  unresolved: UnresolvedSource[];
  target: { resolved: boolean; reason?: string; message?: string };
  resolvedSources: number;
  /** Not rendered at all, and why (Rendered=False with this reason); objects is empty. */
  refused?: Refusal;
}

export function renderedName(policy: AccessPolicy): string {
  return `nexus-${policy.metadata.name}`;
}

export function requireJwtName(policy: AccessPolicy): string {
  return `${renderedName(policy)}-require-jwt`;
}

export function renderAccessPolicy(policy: AccessPolicy, identities: IdentityLookup, config: RenderConfig): PolicyRenderResult {
  const target = resolveTarget(policy, identities);
  if (!target.resolved) {
    return { objects: [], policyHash: hashOf([]), unresolved: [], target: { resolved: false, reason: target.reason, message: target.message }, resolvedSources: 0 };
  }
  const refused = renderRefusal(policy, target.identity, identities);
  if (refused) return renderRefused(policy, target.selector, refused);
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
  // An ALLOW policy without rules still selects its workloads and allows nothing there.
  // DENY and AUDIT without rules match nothing, and Istio refuses a DENY without rules.
  if (action === "Allow" || resolved.rules.length > 0) {
    const envelope = selector ? { selector, action: istioActionOf(action), rules: [] } : { action: istioActionOf(action), rules: [] };
    const shards = shardRules([...mergeRulesWithSameCallers(resolved.rules), ...gated], { budgetBytes: config.shardBudgetBytes ?? SHARD_BUDGET_BYTES, envelopeBytes: jsonBytes(envelope) });
    shards.forEach((rules, index) => {
      specs.push({
        kind: "AuthorizationPolicy",
        name: shardName(renderedName(policy), index),
        spec: istioPolicySpec(istioActionOf(action), rules, selector),
      });
    });
  }
  if (gated.length > 0) {
    specs.push({ kind: "AuthorizationPolicy", name: gateName(renderedName(policy)), spec: customGateSpec(gated, selector) });
  }
  if (policy.spec.authentication?.requireJWT) {
    specs.push({ kind: "AuthorizationPolicy", name: requireJwtName(policy), spec: requireJwtPolicySpec(selector) });
  }
  if (issuers.length > 0) {
    specs.push({ kind: "RequestAuthentication", name: renderedName(policy), spec: requestAuthenticationSpec(issuers, selector) });
  }
  specs.sort(byKindThenName);
  const policyHash = hashOf(specs, policy.spec.dryRun === true);
  return {
    objects: specs.map((rendered) => istioObject(rendered, policyObjectMetadata(policy, rendered, policyHash))),
    policyHash,
    unresolved: resolved.unresolved,
    target: { resolved: true },
    resolvedSources: resolved.resolvedSources,
  };
}

/**
 * A policy the renderer refuses (see renderRefusal): an Allow keeps selecting its workloads
 * and admits nobody, and its require-JWT Deny stays (without a RequestAuthentication no
 * request carries a verified token, so it denies every request): dropping it would let other
 * policies of the target admit requests without a token. A Deny or Audit renders nothing new.
 */
function renderRefused(policy: AccessPolicy, selector: WorkloadSelectorSpec | undefined, refused: Refusal): PolicyRenderResult {
  const specs: RenderedSpec[] = [];
  if (actionOf(policy) === "Allow") {
    specs.push({ kind: "AuthorizationPolicy", name: shardName(renderedName(policy), 0), spec: istioPolicySpec("ALLOW", [], selector) });
    if (policy.spec.authentication?.requireJWT) specs.push({ kind: "AuthorizationPolicy", name: requireJwtName(policy), spec: requireJwtPolicySpec(selector) });
  }
  specs.sort(byKindThenName);
  const policyHash = hashOf(specs, policy.spec.dryRun === true);
  return {
    objects: specs.map((rendered) => istioObject(rendered, policyObjectMetadata(policy, rendered, policyHash))),
    policyHash,
    unresolved: [],
    target: { resolved: true },
    resolvedSources: 0,
    refused,
  };
}

/** Keys in sorted order, as the hash and the YAML writer read them; literals, as this runs for every policy. */
function istioPolicySpec(action: AuthorizationPolicySpec["action"], rules: IstioRule[], selector: WorkloadSelectorSpec | undefined): AuthorizationPolicySpec {
  if (rules.length === 0) return selector ? { action, selector } : { action };
  return selector ? { action, rules, selector } : { action, rules };
}

// Dry-run is part of the version: turning enforcement on is the change an audit must see.
function hashOf(specs: RenderedSpec[], dryRun = false): string {
  const rendered = specs.map(({ kind, name, spec }) => ({ kind, name, spec }));
  return canonicalDigest(dryRun ? { dryRun, rendered } : rendered);
}
