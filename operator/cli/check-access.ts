// One access question answered by the evaluator: ALLOW, DENY, or ALLOW only if the
// credential gate (a CUSTOM provider) accepts the credential, with the evaluator's verdict,
// on the data plane that runs the target (for ambient: ztunnel and, through a waypoint, the
// waypoint; the call passes when both let it).
import { evaluateRequest, policiesAtHops, type AccessRequest, type AuthorizationPolicyObject, type Verdict } from "../evaluate/index.js";
import type { AccessModel, Target } from "./access-model.js";
import type { Caller } from "./caller.js";
import { SIDECAR_PLANE, type TargetPlane } from "./data-planes.js";

export type Decision = "ALLOW" | "DENY" | "ALLOW_IF_GATE";

export interface Operation {
  method: string;
  path: string;
  port: number;
}

export interface AccessAnswer {
  decision: Decision;
  request: AccessRequest;
  plane: TargetPlane;
  /** The policies the target's data plane enforces on this call (at ztunnel: as ztunnel holds them). */
  enforced: AuthorizationPolicyObject[];
  /** With every CUSTOM provider saying no: what holds whatever the gate decides. */
  verdict: Verdict;
  /** With the providers saying yes; present when that changes the decision. */
  ifGateAccepts?: Verdict;
  caveats: string[];
}

export function requestOf(caller: Caller, target: Target, operation: Operation, plane: TargetPlane = SIDECAR_PLANE): AccessRequest {
  const waypoint = plane.waypoint ? { principal: plane.waypoint.principal, service: plane.waypoint.service } : undefined;
  return { dataPlane: plane.dataPlane, ...(waypoint ? { waypoint } : {}), source: caller.source, workload: target.workload, operation };
}

export function checkAccess(model: AccessModel, caller: Caller, target: Target, operation: Operation, plane: TargetPlane = SIDECAR_PLANE): AccessAnswer {
  const policies = model.policiesFor(target);
  const request = requestOf(caller, target, operation, plane);
  const options = { rootNamespace: model.rootNamespace };
  const verdict = evaluateRequest(policies, request, { ...options, customDecision: () => false });
  const caveats = [...verdict.caveats];
  const hops = policiesAtHops(policies, request, model.rootNamespace);
  const enforced = hops.dataPlane === "ambient" ? [...(hops.waypoint ?? []), ...hops.ztunnel] : hops.proxy;
  if (!target.selectable) caveats.push(`EngineIdentity ${target.namespace}/${target.name} has no spec.workloadSelector: only namespace-wide policies were weighed, and no AccessPolicy can target it`);
  if (verdict.allowed) return { decision: "ALLOW", request, plane, enforced, verdict, caveats };
  if (verdict.delegations.length === 0) return { decision: "DENY", request, plane, enforced, verdict, caveats };
  const ifGateAccepts = evaluateRequest(policies, request, { ...options, customDecision: () => true });
  return ifGateAccepts.allowed ? { decision: "ALLOW_IF_GATE", request, plane, enforced, verdict, ifGateAccepts, caveats } : { decision: "DENY", request, plane, enforced, verdict, caveats };
}

export function decisionText(decision: Decision): string {
  return decision === "ALLOW_IF_GATE" ? "ALLOW if the gate accepts the credential" : decision;
}
