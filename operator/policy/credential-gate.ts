// The credential gate in the mesh: operations of rules with an apiKey or jwt source go
// through nexus-authz (Istio action CUSTOM), which answers 401/403/429 itself, and an ALLOW
// rule for exactly the same operations lets through what the gate passed. Istio runs CUSTOM
// before DENY and ALLOW, so no request reaches a gated operation without the gate's OK.
import type { AccessPolicy, AccessRule } from "../api/types.js";
import type { AuthorizationPolicySpec, IstioRule, WorkloadSelectorSpec } from "./istio-types.js";
import { operationsOf } from "./istio-rules.js";
import { actionOf } from "./policy-action.js";
import { resolveSource, type SourceContext } from "./resolve-source.js";
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
