// Whether one AuthorizationPolicy rule matches a request. A rule matches when one of its
// sources, one of its operations and all of its conditions match; an absent (or empty)
// list places no constraint, so a rule with no fields matches every request.
import type { OperationSpec, RuleSpec, SourceSpec } from "./authorization-policy.js";
import { conditionHolds } from "./conditions.js";
import { fieldMatches } from "./field-match.js";
import { portMatches } from "./port-match.js";
import type { RequestAttributes } from "./request.js";
import { matchesIstioString, matchesNamespacePattern, matchesRequestPrincipalPattern } from "./string-match.js";

export function ruleMatches(rule: RuleSpec, request: RequestAttributes): boolean {
  const from = rule.from ?? [];
  const to = rule.to ?? [];
  return (
    (from.length === 0 || from.some((entry) => sourceMatches(entry.source ?? {}, request))) &&
    (to.length === 0 || to.some((entry) => operationMatches(entry.operation ?? {}, request))) &&
    (rule.when ?? []).every((condition) => conditionHolds(condition, request))
  );
}

// IP blocks are not part of the request model and are left out (see caveats.ts).
export function sourceMatches(source: SourceSpec, request: RequestAttributes): boolean {
  return (
    fieldMatches(source.principals, source.notPrincipals, request.principal, matchesIstioString) &&
    fieldMatches(source.namespaces, source.notNamespaces, request.namespace, matchesNamespacePattern) &&
    fieldMatches(source.requestPrincipals, source.notRequestPrincipals, request.requestPrincipal, (p, rp) =>
      matchesRequestPrincipalPattern(p, rp.issuer, rp.subject),
    )
  );
}

// Hosts are not part of the request model and are left out (see caveats.ts).
export function operationMatches(operation: OperationSpec, request: RequestAttributes): boolean {
  return (
    fieldMatches(operation.methods, operation.notMethods, request.method, matchesIstioString) &&
    fieldMatches(operation.paths, operation.notPaths, request.path, matchesIstioString) &&
    fieldMatches(operation.ports, operation.notPorts, request.port, portMatches)
  );
}
