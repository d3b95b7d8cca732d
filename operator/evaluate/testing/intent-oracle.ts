// The INTENT of a set of NEXUS objects for one request, written straight from the product
// spec (shared/design/api.md) and the decided semantics, without any renderer code: the
// property test holds the renderer + evaluator to it. Keep it a plain reading of the
// spec; cleverness here would only copy the renderer's mistakes.
//
// Scope: callers always present a mesh identity (STRICT mTLS is the default and the
// evaluator does not model PeerAuthentication); a token, when present, is one the
// workload validates.
import type { AccessPolicy, AccessSource, Operation } from "../../api/types.js";

export interface ScenarioIdentity {
  namespace: string;
  name: string;
  tenant?: string;
  serviceAccount: string;
  workloadSelector?: Record<string, string>;
}

export interface Scenario {
  trustDomain: string;
  identities: ScenarioIdentity[];
  policies: AccessPolicy[];
}

export interface Token {
  issuer: string;
  subject: string;
  audiences: string[];
  claims: Record<string, string[]>;
}

export interface IntentRequest {
  /** Istio principal of the caller's workload, `<td>/ns/<ns>/sa/<sa>`. */
  callerPrincipal: string;
  token?: Token;
  workload: { namespace: string; labels: Record<string, string> };
  operation: { method: string; path: string; port: number };
}

export interface Intent {
  allowed: boolean;
  because: string;
}

export function intendedVerdict(scenario: Scenario, request: IntentRequest): Intent {
  const namespace = request.workload.namespace;
  const inForce = policiesAt(scenario, request.workload).filter((p) => !p.spec.dryRun);

  const requiringToken = inForce.find((p) => p.spec.authentication?.requireJWT);
  if (requiringToken && !request.token) return deny(`${nameOf(requiringToken)} requires a token and the request has none`);

  const denying = inForce.find((p) => actionOf(p) === "Deny" && policyMatches(scenario, p, request));
  if (denying) return deny(`Deny policy ${nameOf(denying)} matches`);

  const holdsNexusObjects =
    scenario.identities.some((i) => i.namespace === namespace) || scenario.policies.some((p) => p.metadata.namespace === namespace);
  if (!holdsNexusObjects) return { allowed: true, because: `namespace ${namespace} holds no NEXUS object, so nothing restricts it` };

  const allowing = inForce.find((p) => actionOf(p) === "Allow" && policyMatches(scenario, p, request));
  if (allowing) return { allowed: true, because: `Allow policy ${nameOf(allowing)} admits the request` };
  return deny(`zero trust: no Allow policy in force admits the request`);
}

/** Tokens of these issuers are validated at the workload (dry-run does not apply to authentication). */
export function validatedIssuersAt(scenario: Scenario, workload: IntentRequest["workload"]): Set<string> {
  return new Set(policiesAt(scenario, workload).flatMap((p) => (p.spec.authentication?.jwt ?? []).map((j) => j.issuer)));
}

// Policies that protect the workload: same namespace, and a target that exists, can select
// pods, and selects this one. A target that does not resolve protects nothing.
function policiesAt(scenario: Scenario, workload: IntentRequest["workload"]): AccessPolicy[] {
  return scenario.policies.filter((policy) => {
    if (policy.metadata.namespace !== workload.namespace) return false;
    if (policy.spec.targetIdentity === undefined) return true;
    const target = targetOf(scenario, policy);
    const selector = Object.entries(target?.workloadSelector ?? {});
    return selector.length > 0 && selector.every(([key, value]) => workload.labels[key] === value);
  });
}

function policyMatches(scenario: Scenario, policy: AccessPolicy, request: IntentRequest): boolean {
  return (policy.spec.rules ?? []).some((rule) => {
    if (!operationsMatch(rule.to, request.operation)) return false;
    // A sourceless Allow rule is refused at admission; were one to get through, it admits nobody.
    if (!rule.from?.length) return actionOf(policy) !== "Allow";
    return rule.from.some((source) => sourceMatches(scenario, policy, source, request));
  });
}

function sourceMatches(scenario: Scenario, policy: AccessPolicy, source: AccessSource, request: IntentRequest): boolean {
  const caller = request.callerPrincipal;
  const isolatedTenant = isolationTenant(scenario, policy);
  const isOtherTenant = (identity: ScenarioIdentity) =>
    isolatedTenant !== undefined && identity.tenant !== undefined && identity.tenant !== isolatedTenant;
  // Whatever the source, an isolated Allow never admits a principal that is (also) the
  // identity of another tenant's engine.
  const callerIsOtherTenant = scenario.identities.some((i) => principalOf(scenario, i) === caller && isOtherTenant(i));
  const peer = (admits: boolean) => admits && !callerIsOtherTenant;

  if (source.identity) {
    const namespace = source.identity.namespace ?? policy.metadata.namespace;
    const identity = find(scenario, namespace, source.identity.name);
    // A Deny or Audit of a missing identity still means its name: the caller that would run
    // as it with the default service account (api.md, "Deny and Audit with unresolved sources").
    if (!identity && actionOf(policy) !== "Allow") return caller === `${scenario.trustDomain}/ns/${namespace}/sa/${source.identity.name}`;
    if (!identity || isOtherTenant(identity)) return false;
    return peer(principalOf(scenario, identity) === caller);
  }
  if (source.tenant !== undefined) {
    if (isolatedTenant !== undefined && source.tenant !== isolatedTenant) return false;
    const members = scenario.identities.filter((i) => i.tenant === source.tenant);
    return peer(members.some((m) => principalOf(scenario, m) === caller));
  }
  if (source.namespace !== undefined) {
    if (scenario.identities.some((i) => i.namespace === source.namespace && isOtherTenant(i))) return false;
    return peer(namespaceOfPrincipal(caller) === source.namespace);
  }
  if (source.principal !== undefined) {
    if (!source.principal.startsWith("spiffe://")) return false;
    return peer(source.principal.slice("spiffe://".length) === caller);
  }
  if (source.jwt) {
    const declared = (policy.spec.authentication?.jwt ?? []).some((j) => j.issuer === source.jwt!.issuer);
    // An undeclared issuer admits nobody (fail closed). A Deny still means "refuse that
    // issuer's callers": leaving it out would make access wider than the author asked.
    if (!declared && actionOf(policy) === "Allow") return false;
    const token = request.token;
    if (!token || token.issuer !== source.jwt.issuer) return false;
    const { subjects, audiences, claims } = source.jwt;
    if (subjects?.length && !subjects.includes(token.subject)) return false;
    if (audiences?.length && !audiences.some((a) => token.audiences.includes(a))) return false;
    return Object.entries(claims ?? {}).every(([name, accepted]) => (accepted ?? []).some((v) => (token.claims[name] ?? []).includes(v)));
  }
  return false;
}

/** The tenant an Allow policy's sources are held to: its target's, unless cross-tenant is allowed. */
function isolationTenant(scenario: Scenario, policy: AccessPolicy): string | undefined {
  if (actionOf(policy) !== "Allow" || policy.spec.allowCrossTenant) return undefined;
  return targetOf(scenario, policy)?.tenant;
}

function operationsMatch(operations: Operation[] | undefined, operation: IntentRequest["operation"]): boolean {
  if (!operations?.length) return true;
  return operations.some(
    (op) =>
      (!op.methods?.length || op.methods.includes(operation.method as never)) &&
      (!op.paths?.length || op.paths.some((p) => pathMatches(p, operation.path))) &&
      (!op.ports?.length || op.ports.includes(operation.port)),
  );
}

// api.md: paths are exact, `prefix*` or `*suffix`; a lone "*" is any path.
function pathMatches(pattern: string, path: string): boolean {
  if (pattern === "*") return path.length > 0;
  if (pattern.startsWith("*")) return path.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return path.startsWith(pattern.slice(0, -1));
  return path === pattern;
}

function targetOf(scenario: Scenario, policy: AccessPolicy): ScenarioIdentity | undefined {
  const name = policy.spec.targetIdentity;
  return name === undefined ? undefined : find(scenario, policy.metadata.namespace, name);
}

function find(scenario: Scenario, namespace: string, name: string): ScenarioIdentity | undefined {
  return scenario.identities.find((i) => i.namespace === namespace && i.name === name);
}

function principalOf(scenario: Scenario, identity: ScenarioIdentity): string {
  return `${scenario.trustDomain}/ns/${identity.namespace}/sa/${identity.serviceAccount}`;
}

function namespaceOfPrincipal(principal: string): string | undefined {
  return /\/ns\/([^/]+)\//.exec(principal)?.[1];
}

function actionOf(policy: AccessPolicy): "Allow" | "Deny" | "Audit" {
  return policy.spec.action ?? "Allow";
}

function nameOf(policy: AccessPolicy): string {
  return `${policy.metadata.namespace}/${policy.metadata.name}`;
}

function deny(because: string): Intent {
  return { allowed: false, because };
}
