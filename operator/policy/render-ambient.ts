// The ambient form of an AccessPolicy (api.md "Data planes"): what ztunnel enforces (L4,
// bound by selector) and what the target's waypoint enforces (everything, bound by
// targetRefs to the target's Services). The waypoint decides on the original caller;
// ztunnel sees the waypoint's principal for traffic through it, so ztunnel admits the
// waypoint and the sources of L4-only rules, and everything else that skips the waypoint is
// denied. Nothing ztunnel would drop is reported as enforced: an Allow that needs a waypoint
// it does not have admits nobody and is refused (WaypointRequired), and a Deny with L7
// attributes without a waypoint denies its sources on every operation (DenyWidened).
import type { JwtIssuer } from "../api/types.js";
import type { TargetDataPlanes, Waypoint } from "../dataplane/data-plane.js";
import { waypointGateName, waypointJwtName, waypointShardName, ztunnelGateName, ztunnelJwtName, ztunnelShardName } from "../render/names.js";
import { requestAuthenticationSpec, requireJwtPolicySpec } from "./authentication.js";
import { customGateSpec, type Refusal } from "./credential-gate.js";
import type { AuthorizationPolicySpec, IstioAction, IstioRule, PolicyTargetReference, RenderedSpec, WorkloadSelectorSpec } from "./istio-types.js";
import { isL4Only, notFromWaypoint, widenedToL4 } from "./l4-rules.js";
import { mergeRulesWithSameCallers } from "./merge-rules.js";
import type { PolicyAction } from "./policy-action.js";
import { istioActionOf } from "./policy-action.js";
import { DataPlaneReason } from "./reasons.js";
import { jsonBytes, shardRules } from "./shard.js";

/** What the ambient form did that the status must say (besides a refusal). */
export interface AmbientRenderNotes {
  /** The waypoint the L7 parts are bound to; absent when none serves the target. */
  waypoint?: Waypoint;
  /** The Services the waypoint's policies name in targetRefs, sorted. */
  services: string[];
  /** Set when a Deny (or requireJWT) with L7 attributes had no waypoint and is enforced at ztunnel on every operation of its sources. */
  denyWidened?: { reason: typeof DataPlaneReason.DenyWidened; message: string };
  /** Set when an Audit policy's target has no waypoint: ztunnel does not audit, so nothing is. */
  auditNotRendered?: { message: string };
}

export interface AmbientInput {
  policyName: string;
  action: PolicyAction;
  /** Absent for a namespace-wide policy. */
  selector: WorkloadSelectorSpec | undefined;
  dataPlanes: TargetDataPlanes;
  /** The policy's resolved Istio rules (before merging). */
  rules: IstioRule[];
  /** The credential gate's operations (rules without `from`); empty without a gate. */
  gated: IstioRule[];
  requireJWT: boolean;
  issuers: JwtIssuer[];
  budgetBytes: number;
}

export interface AmbientRendering {
  specs: RenderedSpec[];
  notes: AmbientRenderNotes;
  refused?: Refusal;
}

/** The waypoint that can enforce the target's L7 policy: one that serves it, through at least one Service (targetRefs needs one). */
function usableWaypoint(dataPlanes: TargetDataPlanes): Waypoint | undefined {
  return dataPlanes.waypoint && dataPlanes.services.length > 0 ? dataPlanes.waypoint : undefined;
}

function targetRefsOf(services: readonly string[]): PolicyTargetReference[] {
  return [...services].sort().map((name) => ({ group: "", kind: "Service", name }));
}

export function waypointProblemOf(dataPlanes: TargetDataPlanes): string {
  if (dataPlanes.waypointProblem) return dataPlanes.waypointProblem;
  if (dataPlanes.services.length === 0) return "the target has no Service, and a waypoint serves Services only; create a Service for it and set the label istio.io/use-waypoint on it or its namespace";
  return "no waypoint serves the target; set the label istio.io/use-waypoint on its Service or namespace to a Gateway of class istio-waypoint";
}

export function renderAmbientForm(input: AmbientInput): AmbientRendering {
  const waypoint = usableWaypoint(input.dataPlanes);
  const services = waypoint ? [...input.dataPlanes.services].sort() : [];
  const notes: AmbientRenderNotes = { ...(waypoint ? { waypoint } : {}), services };
  if (input.action === "Allow" && !waypoint && needsWaypoint(input)) {
    const refused: Refusal = {
      reason: DataPlaneReason.WaypointRequired,
      message: `the target runs in ambient mode and the policy has L7 attributes (methods, paths, JWT, the credential gate or requireJWT) that only a waypoint enforces: ${waypointProblemOf(input.dataPlanes)}`,
    };
    return { specs: refusedAmbientSpecs(input.policyName, input.selector, input.requireJWT, undefined, []), notes, refused };
  }
  const specs: RenderedSpec[] = [];
  const ztunnel = ztunnelRules(input, waypoint);
  if (ztunnel.rules.length > 0 || input.action === "Allow") {
    specs.push(...shardedSpecs(input, istioActionOf(input.action), ztunnel.rules, { selector: input.selector }, ztunnelShardName));
  }
  if (ztunnel.widened || (input.requireJWT && !waypoint)) {
    notes.denyWidened = {
      reason: DataPlaneReason.DenyWidened,
      message: `the target runs in ambient mode without a waypoint, so rules with L7 attributes (and requireJWT) are enforced by ztunnel as a Deny of their sources on every operation (wider than written, never narrower): ${waypointProblemOf(input.dataPlanes)}`,
    };
  }
  if (input.requireJWT) specs.push(ztunnelRequireJwt(input.policyName, input.selector, waypoint));
  if (!waypoint) {
    if (input.action === "Audit" && input.rules.length > 0) {
      notes.auditNotRendered = { message: `ztunnel does not audit, so nothing of this Audit policy is recorded until a waypoint serves the target: ${waypointProblemOf(input.dataPlanes)}` };
    }
    return { specs, notes };
  }
  const targetRefs = targetRefsOf(services);
  // At the waypoint, everything as the sidecar form has it, on the original callers.
  if (input.action === "Allow" || input.rules.length > 0) {
    specs.push(...shardedSpecs(input, istioActionOf(input.action), [...mergeRulesWithSameCallers(input.rules), ...input.gated], { targetRefs }, waypointShardName));
  }
  if (input.gated.length > 0) {
    specs.push({ kind: "AuthorizationPolicy", name: waypointGateName(input.policyName), spec: withTargetRefs(customGateSpec(input.gated, undefined), targetRefs) });
    specs.push(ztunnelGateGuard(input.policyName, input.selector, input.gated, waypoint));
  }
  if (input.requireJWT) specs.push({ kind: "AuthorizationPolicy", name: waypointJwtName(input.policyName), spec: withTargetRefs(requireJwtPolicySpec(undefined), targetRefs) });
  if (input.issuers.length > 0) {
    const { jwtRules } = requestAuthenticationSpec(input.issuers, undefined);
    specs.push({ kind: "RequestAuthentication", name: waypointJwtName(input.policyName), spec: { jwtRules, targetRefs } });
  }
  return { specs, notes };
}

/**
 * The ambient form of a refused policy (see renderRefused): ztunnel keeps an Allow that
 * selects the target and admits nobody, and a requireJWT keeps denying what carries no token.
 */
export function refusedAmbientSpecs(
  policyName: string,
  selector: WorkloadSelectorSpec | undefined,
  requireJWT: boolean,
  waypoint: Waypoint | undefined,
  services: readonly string[],
): RenderedSpec[] {
  const specs: RenderedSpec[] = [{ kind: "AuthorizationPolicy", name: ztunnelShardName(policyName, 0), spec: { action: "ALLOW", ...(selector ? { selector } : {}) } }];
  if (requireJWT) {
    specs.push(ztunnelRequireJwt(policyName, selector, waypoint));
    if (waypoint && services.length > 0) {
      specs.push({ kind: "AuthorizationPolicy", name: waypointJwtName(policyName), spec: withTargetRefs(requireJwtPolicySpec(undefined), targetRefsOf(services)) });
    }
  }
  return specs;
}

/** Whether the Allow has anything only a waypoint enforces. */
function needsWaypoint(input: AmbientInput): boolean {
  return input.requireJWT || input.gated.length > 0 || input.rules.some((rule) => !isL4Only(rule));
}

/**
 * The rules ztunnel gets. Allow: the waypoint's principal (it has decided on the original
 * caller) and the L4-only rules; rules with L7 attributes admit only through the waypoint.
 * Deny: every rule, L7 ones widened to their sources on every operation, none of them on the
 * waypoint's own connections (the waypoint applies the Deny exactly to the original caller).
 * Audit: nothing (ztunnel does not audit).
 */
function ztunnelRules(input: AmbientInput, waypoint: Waypoint | undefined): { rules: IstioRule[]; widened: boolean } {
  if (input.action === "Allow") {
    const admitWaypoint: IstioRule[] = waypoint ? [{ from: [{ source: { principals: [waypoint.principal] } }] }] : [];
    return { rules: [...admitWaypoint, ...mergeRulesWithSameCallers(input.rules.filter(isL4Only))], widened: false };
  }
  if (input.action === "Audit") return { rules: [], widened: false };
  let widened = false;
  const rules = input.rules.map((rule) => {
    if (isL4Only(rule)) return rule;
    widened = true;
    return widenedToL4(rule);
  });
  const exact = waypoint ? rules.map((rule) => ({ ...rule, when: [...(rule.when ?? []), notFromWaypoint(waypoint.principal)] })) : rules;
  return { rules: mergeRulesWithSameCallers(dedupe(exact)), widened: widened && !waypoint };
}

/**
 * The gate decides every request to a gated operation, whichever policy admits the caller.
 * Traffic that skips the waypoint skips the gate, so ztunnel denies it on the gated
 * operations (on every operation where those need HTTP to be told apart).
 */
function ztunnelGateGuard(policyName: string, selector: WorkloadSelectorSpec | undefined, gated: IstioRule[], waypoint: Waypoint): RenderedSpec {
  const rules = dedupe(gated.map((rule) => ({ ...(isL4Only(rule) && rule.to ? { to: rule.to } : {}), when: [notFromWaypoint(waypoint.principal)] })));
  return { kind: "AuthorizationPolicy", name: ztunnelGateName(policyName), spec: { action: "DENY", rules: rules.some((rule) => !rule.to) ? [{ when: [notFromWaypoint(waypoint.principal)] }] : rules, ...(selector ? { selector } : {}) } };
}

/** A requireJWT at ztunnel: nothing that skips the waypoint carries a verified token, so all of it is denied. */
function ztunnelRequireJwt(policyName: string, selector: WorkloadSelectorSpec | undefined, waypoint: Waypoint | undefined): RenderedSpec {
  const rule: IstioRule = waypoint ? { when: [notFromWaypoint(waypoint.principal)] } : {};
  return { kind: "AuthorizationPolicy", name: ztunnelJwtName(policyName), spec: { action: "DENY", rules: [rule], ...(selector ? { selector } : {}) } };
}

function shardedSpecs(
  input: AmbientInput,
  action: IstioAction,
  rules: IstioRule[],
  binding: { selector?: WorkloadSelectorSpec | undefined; targetRefs?: PolicyTargetReference[] },
  nameOf: (policyName: string, n: number) => string,
): RenderedSpec[] {
  const envelope = policySpec(action, [], binding);
  const shards = shardRules(rules, { budgetBytes: input.budgetBytes, envelopeBytes: jsonBytes(envelope) });
  return shards.map(({ n, rules: shardRules }) => ({ kind: "AuthorizationPolicy" as const, name: nameOf(input.policyName, n), spec: policySpec(action, shardRules, binding) }));
}

/** Keys in sorted order, as the hash and the YAML writer read them. */
function policySpec(action: IstioAction, rules: IstioRule[], binding: { selector?: WorkloadSelectorSpec | undefined; targetRefs?: PolicyTargetReference[] }): AuthorizationPolicySpec {
  return {
    action,
    ...(rules.length > 0 ? { rules } : {}),
    ...(binding.selector ? { selector: binding.selector } : {}),
    ...(binding.targetRefs ? { targetRefs: binding.targetRefs } : {}),
  };
}

function withTargetRefs(spec: AuthorizationPolicySpec, targetRefs: PolicyTargetReference[]): AuthorizationPolicySpec {
  return { ...spec, targetRefs };
}

function dedupe(rules: IstioRule[]): IstioRule[] {
  const seen = new Map<string, IstioRule>();
  for (const rule of rules) {
    const key = JSON.stringify(rule);
    if (!seen.has(key)) seen.set(key, rule);
  }
  return [...seen.values()];
}
