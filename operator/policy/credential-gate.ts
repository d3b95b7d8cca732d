// The credential gate in the mesh: operations of rules with an apiKey or jwt source go
// through nexus-authz (Istio action CUSTOM), which answers 401/403/429 itself, and an ALLOW
// rule for exactly the same operations lets through what the gate passed. Istio runs CUSTOM
// before DENY and ALLOW, so no request reaches a gated operation without the gate's OK.
import type { AccessPolicy, AccessRule, JwtIssuer } from "../api/types.js";
import type { IdentityFacts, IdentityLookup } from "./identity-lookup.js";
import type { AuthorizationPolicySpec, IstioRule, WorkloadSelectorSpec } from "./istio-types.js";
import { operationsOf } from "./istio-rules.js";
import { actionOf } from "./policy-action.js";
import { resolveSource, type SourceContext } from "./resolve-source.js";
import type { DataPlaneReason } from "./reasons.js";
import { compareStrings } from "./sorted.js";
import { selectorField } from "./target.js";

/** The name of the extension provider Istio's meshConfig must declare for the gate. */
export const GATE_PROVIDER_NAME = "nexus-authz";

/**
 * Whether requests go through the gate: authentication.gate, which defaults to on when API
 * keys are declared. Only Allow policies admit through the gate. A dry-run policy enforces
 * nothing, and a CUSTOM policy cannot be dry-run in Istio, so it renders no gate at all.
 */
export function gateOn(policy: AccessPolicy): boolean {
  const authentication = policy.spec.authentication;
  const requested = authentication?.gate ?? authentication?.apiKeys !== undefined;
  return requested && actionOf(policy) === "Allow" && policy.spec.dryRun !== true;
}

/**
 * The gated operations as Istio rules without `from`: one per distinct `to` of a rule with
 * at least one credential source that resolved, sorted by their JSON. A rule whose credential
 * sources are all left out gates nothing, so it stays as closed as it renders without the
 * gate. One rule for any operation makes every other redundant.
 */
export function gatedOperationRules(rules: AccessRule[], context: SourceContext): IstioRule[] {
  const gated = new Map<string, IstioRule>();
  rules.forEach((rule, ruleIndex) => {
    const credentialResolved = (rule.from ?? []).some((source, sourceIndex) => {
      if (source.apiKey === undefined && source.jwt === undefined) return false;
      const outcome = resolveSource(source, `rules[${ruleIndex}].from[${sourceIndex}]`, context);
      return outcome.kind === "apiKey" || outcome.kind === "jwt";
    });
    if (!credentialResolved) return;
    const to = operationsOf(rule.to);
    const istioRule: IstioRule = to ? { to } : {};
    gated.set(JSON.stringify(istioRule), istioRule);
  });
  if (gated.has("{}")) return [{}];
  return [...gated.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, rule]) => rule);
}

export function customGateSpec(rules: IstioRule[], selector: WorkloadSelectorSpec | undefined): AuthorizationPolicySpec {
  return { ...selectorField(selector), action: "CUSTOM", provider: { name: GATE_PROVIDER_NAME }, rules };
}

/** Reasons a policy is not rendered at all (Rendered=False); the namespace baseline denies in its place. */
export const RenderRefusal = {
  /** The gate finds its target by the destination principal, which only mTLS carries. */
  GateNeedsStrictMTLS: "GateNeedsStrictMTLS",
  /** The gated target's service account is shared: the mesh cannot tell the engines apart. */
  AmbiguousTarget: "AmbiguousTarget",
  /** A gated issuer without audiences would admit tokens minted for any other service. */
  GatedIssuerNeedsAudiences: "GatedIssuerNeedsAudiences",
  /** Keys that istiod would fetch over plain HTTP, where anyone on the path can replace them. */
  InsecureJwksSource: "InsecureJwksSource",
} as const;

export interface Refusal {
  reason: (typeof RenderRefusal)[keyof typeof RenderRefusal] | typeof DataPlaneReason.WaypointRequired;
  message: string;
}

/**
 * Why the policy must not be rendered as it stands, or undefined. Admission refuses most
 * of these too (the CRD's rules), but a policy admitted before those rules, or with the
 * admission rules bypassed, is checked here again; the share of a service account can only
 * be seen here.
 */
export function renderRefusal(policy: AccessPolicy, target: IdentityFacts | undefined, identities: IdentityLookup): Refusal | undefined {
  const issuers = policy.spec.authentication?.jwt ?? [];
  const insecure = issuers.findIndex((issuer) => insecureJwksSource(issuer));
  if (insecure >= 0) {
    return {
      reason: RenderRefusal.InsecureJwksSource,
      message: `spec.authentication.jwt[${insecure}]: set jwksUri to an https:// URL or jwks inline; without them istiod would fetch the issuer's keys over plain HTTP`,
    };
  }
  if (!gateOn(policy)) return undefined;
  if (policy.spec.mtls === "Permissive") {
    return {
      reason: RenderRefusal.GateNeedsStrictMTLS,
      message: "spec.mtls: Permissive cannot be combined with the credential gate: plaintext requests carry no destination principal, so the gate cannot tell which engine they are for; set spec.mtls to Strict",
    };
  }
  const withoutAudiences = issuers.findIndex((issuer) => !issuer.audiences || issuer.audiences.length === 0);
  if (withoutAudiences >= 0) {
    return {
      reason: RenderRefusal.GatedIssuerNeedsAudiences,
      message: `spec.authentication.jwt[${withoutAudiences}].audiences: a gated issuer must declare the audiences its tokens are for`,
    };
  }
  if (target) {
    const sharing = identities.withServiceAccount(target.namespace, target.serviceAccount).filter((other) => other.name !== target.name);
    if (sharing.length > 0) {
      const names = sharing.map((other) => other.name).sort(compareStrings);
      return {
        reason: RenderRefusal.AmbiguousTarget,
        message: `the target's service account ${target.serviceAccount} is also used by EngineIdentity ${names.join(", ")}: the mesh names callers by service account, so the gate cannot tell the engines apart; give the target a service account of its own (spec.serviceAccountName)`,
      };
    }
  }
  return undefined;
}

function insecureJwksSource(issuer: JwtIssuer): boolean {
  if (issuer.jwksUri !== undefined) return !issuer.jwksUri.startsWith("https://");
  if (issuer.jwks !== undefined) return false;
  return !issuer.issuer.startsWith("https://");
}
