// Answers "is this request allowed, and by which policy and rule?" from a set of Istio
// AuthorizationPolicies, following Istio's documented semantics. Pure and deterministic:
// the policies are taken in (namespace, name) order, whatever order they come in, so the
// same inputs always give the same verdict and explanation.
//
// Not modelled (reported in `caveats` when a policy uses them, and treated as absent):
// ipBlocks / notIpBlocks / remoteIpBlocks / notRemoteIpBlocks, hosts / notHosts, and
// conditions on keys other than request.auth.{principal,audiences,presenter,claims[..]},
// source.{principal,namespace}, destination.port and request.headers[..]. Also not
// modelled: TCP-only traffic, policies bound by targetRefs to a Gateway (ingress gateways,
// or a waypoint by its Gateway) and path templates ({*}, {**}), which are compared as plain
// strings.
//
// Data planes (api.md "Data planes"; request.dataPlane): sidecar, as Istio's Envoy filter;
// grpc, the same except that istiod's proxyless gRPC generator drops an ALLOW policy without
// rules; ambient, ztunnel on the connection (ztunnel-view.ts) and, for a call through a
// waypoint, the waypoint on the request with the policies bound by targetRefs to the Service
// it routes to. Sidecars and ztunnel ignore targetRefs policies; waypoints ignore selectors.
import { actionOf, isDryRun, rulesOf, type AuthorizationPolicyObject } from "./authorization-policy.js";
import { appliesTo, DEFAULT_ROOT_NAMESPACE, type Workload } from "./applicability.js";
import { caveatsOf } from "./caveats.js";
import { decide, denyCustom, type CustomDecision, type EvaluatedPolicy } from "./decide.js";
import { attributesOf, type AccessRequest, type RequestAttributes } from "./request.js";
import { ruleMatches } from "./rule-match.js";
import type { Decision, PolicyRuleRef, Verdict } from "./verdict.js";
import { hasTargetRefs, ztunnelView } from "./ztunnel-view.js";

export interface EvaluationOptions {
  /** Istio's root namespace, whose policies apply mesh-wide. Default istio-system. */
  rootNamespace?: string;
  /** The answer of a CUSTOM provider (ext_authz). Default: deny. */
  customDecision?: CustomDecision;
}

export function evaluateRequest(
  policies: readonly AuthorizationPolicyObject[],
  request: AccessRequest,
  options: EvaluationOptions = {},
): Verdict {
  const hops = policiesAtHops(policies, request, options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE);
  if (hops.dataPlane === "ambient") return evaluateAmbient(hops, request, options);
  const verdict = evaluateAt(hops.proxy, request, options);
  return hops.dataPlane === undefined ? verdict : { ...verdict, enforcedBy: hops.dataPlane };
}

/** The policies each part of the request's data plane enforces. */
export type HopPolicies =
  | { dataPlane: "sidecar" | "grpc" | undefined; proxy: AuthorizationPolicyObject[] }
  | { dataPlane: "ambient"; ztunnel: AuthorizationPolicyObject[]; waypoint?: AuthorizationPolicyObject[] };

/**
 * Which policies each hop enforces, as evaluateRequest takes them (the access matrix judges
 * with the same selection): the sidecar those bound by selector; the gRPC proxy the same but
 * an ALLOW without rules; ztunnel its view of those bound by selector (ztunnel-view.ts); a
 * waypoint, when the call goes through one, those bound by targetRefs to the Service it routes to.
 */
export function policiesAtHops(policies: readonly AuthorizationPolicyObject[], request: Pick<AccessRequest, "dataPlane" | "waypoint" | "workload">, rootNamespace: string = DEFAULT_ROOT_NAMESPACE): HopPolicies {
  const bySelector = (p: AuthorizationPolicyObject) => appliesTo(p, request.workload, rootNamespace);
  switch (request.dataPlane) {
    case undefined:
    case "sidecar":
      return { dataPlane: request.dataPlane, proxy: policies.filter((p) => !hasTargetRefs(p) && bySelector(p)) };
    case "grpc":
      // istiod's gRPC generator leaves out an ALLOW policy without rules (it would allow nothing).
      return { dataPlane: "grpc", proxy: policies.filter((p) => !hasTargetRefs(p) && bySelector(p) && !(actionOf(p) === "ALLOW" && rulesOf(p).length === 0)) };
    case "ambient": {
      const ztunnel = policies.filter(bySelector).flatMap((p) => ztunnelView(p) ?? []);
      const { waypoint } = request;
      return waypoint ? { dataPlane: "ambient", ztunnel, waypoint: policies.filter((p) => boundToService(p, request.workload, waypoint.service)) } : { dataPlane: "ambient", ztunnel };
    }
  }
}

/**
 * What ztunnel judges of an ambient call: the connection, from the waypoint's principal when
 * the call goes through one, else from the caller's. Only what ztunnel sees counts there (the
 * principal, the namespace and the port); a token is not seen.
 */
export function connectionOf(request: AccessRequest): AccessRequest {
  const { waypoint } = request;
  return {
    source: waypoint ? { principal: waypoint.principal } : { principal: request.source.principal, ...(request.source.namespace ? { namespace: request.source.namespace } : {}) },
    workload: request.workload,
    operation: { method: request.operation.method, path: request.operation.path, port: request.operation.port },
  };
}

/**
 * A call to an ambient target: through its waypoint, the waypoint decides the request on the
 * original caller and ztunnel then the connection on the waypoint's principal; without one,
 * ztunnel decides the connection on the caller's principal.
 */
function evaluateAmbient(hops: Extract<HopPolicies, { dataPlane: "ambient" }>, request: AccessRequest, options: EvaluationOptions): Verdict {
  const { waypoint } = request;
  const ztunnel = evaluateAt(hops.ztunnel, connectionOf(request), options);
  if (!waypoint || !hops.waypoint) return { ...ztunnel, enforcedBy: "ztunnel", hops: { ztunnel: decisionOf(ztunnel) } };
  const atWaypoint = evaluateAt(hops.waypoint, request, options);
  const decisions = { waypoint: decisionOf(atWaypoint), ztunnel: decisionOf(ztunnel) };
  const caveats = [...atWaypoint.caveats, ...ztunnel.caveats];
  if (!atWaypoint.allowed) return { ...atWaypoint, reason: `At the waypoint: ${atWaypoint.reason}`, caveats, enforcedBy: "waypoint", hops: decisions };
  if (!ztunnel.allowed) {
    return { ...ztunnel, reason: `At ztunnel (the connection from waypoint ${waypoint.principal}): ${ztunnel.reason}`, delegations: atWaypoint.delegations, auditMatches: atWaypoint.auditMatches, dryRunMatches: atWaypoint.dryRunMatches, caveats, enforcedBy: "ztunnel", hops: decisions };
  }
  return { ...atWaypoint, reason: `At the waypoint: ${atWaypoint.reason} At ztunnel: ${ztunnel.reason}`, caveats, enforcedBy: "waypoint", hops: decisions };
}

/** A waypoint applies the policies of the Service's namespace whose targetRefs name that Service (never chosen by a Host header). */
function boundToService(policy: AuthorizationPolicyObject, workload: Workload, service: string): boolean {
  if (policy.metadata.namespace !== workload.namespace) return false;
  const refs = [...(policy.spec?.targetRefs ?? []), ...(policy.spec?.targetRef ? [policy.spec.targetRef] : [])];
  return refs.some((ref) => ref.kind === "Service" && (ref.group ?? "") === "" && ref.name === service && (ref.namespace ?? policy.metadata.namespace) === policy.metadata.namespace);
}

function decisionOf(verdict: Verdict): Decision {
  const { allowed, decidingPolicy, reason, delegations } = verdict;
  return { allowed, ...(decidingPolicy ? { decidingPolicy } : {}), reason, delegations };
}

/** The verdict over the policies that apply (already chosen by the caller). */
function evaluateAt(policies: readonly AuthorizationPolicyObject[], request: AccessRequest, options: EvaluationOptions): Verdict {
  const customDecision = options.customDecision ?? denyCustom;
  const attributes = attributesOf(request);
  const applicable = [...policies].sort(byNamespaceThenName);
  const evaluated = applicable.map((policy) => ({ policy, dryRun: isDryRun(policy), result: evaluatePolicy(policy, attributes) }));

  const enforced = evaluated.filter((e) => !e.dryRun).map((e) => e.result);
  const dryRun = evaluated.filter((e) => e.dryRun).map((e) => e.result);
  const decision = decide(enforced, customDecision);
  return {
    ...decision,
    dryRunMatches: matchesOf(dryRun),
    auditMatches: matchesOf(enforced.filter((p) => p.ref.action === "AUDIT")),
    ...(dryRun.length > 0 ? { ifDryRunEnforced: decide([...enforced, ...dryRun].sort(byRef), customDecision) } : {}),
    caveats: applicable.flatMap(caveatsOf),
  };
}

function evaluatePolicy(policy: AuthorizationPolicyObject, request: RequestAttributes): EvaluatedPolicy {
  const rules = rulesOf(policy);
  const index = rules.findIndex((rule) => ruleMatches(rule, request));
  return {
    ref: { namespace: policy.metadata.namespace, name: policy.metadata.name, action: actionOf(policy) },
    provider: policy.spec?.provider?.name ?? "",
    ruleCount: rules.length,
    matchedRule: index < 0 ? undefined : index,
  };
}

function matchesOf(policies: readonly EvaluatedPolicy[]): PolicyRuleRef[] {
  return policies.flatMap((p) => (p.matchedRule === undefined ? [] : [{ ...p.ref, ruleIndex: p.matchedRule }]));
}

function byNamespaceThenName(a: AuthorizationPolicyObject, b: AuthorizationPolicyObject): number {
  return compare(a.metadata.namespace, b.metadata.namespace) || compare(a.metadata.name, b.metadata.name);
}

function byRef(a: EvaluatedPolicy, b: EvaluatedPolicy): number {
  return compare(a.ref.namespace, b.ref.namespace) || compare(a.ref.name, b.ref.name);
}

// Code-unit order, not locale order, so the result is the same on every machine.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
