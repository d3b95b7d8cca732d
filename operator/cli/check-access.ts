// One access question answered by the evaluator: ALLOW, DENY, or ALLOW only if the
// credential gate (a CUSTOM provider) accepts the credential, with the evaluator's verdict.
import { evaluateRequest, type AccessRequest, type Verdict } from "../evaluate/index.js";
import type { AccessModel, Target } from "./access-model.js";
import type { Caller } from "./caller.js";

export type Decision = "ALLOW" | "DENY" | "ALLOW_IF_GATE";

export interface Operation {
  method: string;
  path: string;
  port: number;
}

export interface AccessAnswer {
  decision: Decision;
  request: AccessRequest;
  /** With every CUSTOM provider saying no: what holds whatever the gate decides. */
  verdict: Verdict;
  /** With the providers saying yes; present when that changes the decision. */
  ifGateAccepts?: Verdict;
  caveats: string[];
}

export function requestOf(caller: Caller, target: Target, operation: Operation): AccessRequest {
  return { source: caller.source, workload: target.workload, operation };
}

export function checkAccess(model: AccessModel, caller: Caller, target: Target, operation: Operation): AccessAnswer {
  const policies = model.policiesFor(target);
  const request = requestOf(caller, target, operation);
  const options = { rootNamespace: model.rootNamespace };
  const verdict = evaluateRequest(policies, request, { ...options, customDecision: () => false });
  const caveats = [...verdict.caveats];
  if (!target.selectable) caveats.push(`EngineIdentity ${target.namespace}/${target.name} has no spec.workloadSelector: only namespace-wide policies were weighed, and no AccessPolicy can target it`);
  if (verdict.allowed) return { decision: "ALLOW", request, verdict, caveats };
  if (verdict.delegations.length === 0) return { decision: "DENY", request, verdict, caveats };
  const ifGateAccepts = evaluateRequest(policies, request, { ...options, customDecision: () => true });
  return ifGateAccepts.allowed ? { decision: "ALLOW_IF_GATE", request, verdict, ifGateAccepts, caveats } : { decision: "DENY", request, verdict, caveats };
}

export function decisionText(decision: Decision): string {
  return decision === "ALLOW_IF_GATE" ? "ALLOW if the gate accepts the credential" : decision;
}
