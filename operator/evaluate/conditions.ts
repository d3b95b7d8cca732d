// `when` conditions: the Istio attribute each key names, read from the request.
import { anyValue, fieldMatches } from "./field-match.js";
import type { ConditionSpec } from "./authorization-policy.js";
import type { RequestAttributes } from "./request.js";
import { matchesIstioString, matchesNamespacePattern, matchesRequestPrincipalPattern } from "./string-match.js";
import { portMatches } from "./port-match.js";

const HEADER_KEY = /^request\.headers\[([^\]]+)\]$/;
// Nested claims ([a][b]) have no place in a flat claim map; they are looked up as "a.b".
const CLAIM_KEY = /^request\.auth\.claims((?:\[[^\]]+\])+)$/;

/** Keys this evaluator understands; any other condition is reported as a caveat and treated as satisfied. */
export function isModelledConditionKey(key: string): boolean {
  return (
    ["request.auth.principal", "request.auth.audiences", "request.auth.presenter", "source.principal", "source.namespace", "destination.port"].includes(key) ||
    HEADER_KEY.test(key) ||
    CLAIM_KEY.test(key)
  );
}

export function conditionHolds(condition: ConditionSpec, request: RequestAttributes): boolean {
  const key = condition.key ?? "";
  const { values, notValues } = condition;
  switch (key) {
    case "request.auth.principal":
      return fieldMatches(values, notValues, request.requestPrincipal, (p, rp) => matchesRequestPrincipalPattern(p, rp.issuer, rp.subject));
    case "request.auth.audiences":
      return fieldMatches(values, notValues, present(request.audiences), anyValue(matchesIstioString));
    case "request.auth.presenter":
      return fieldMatches(values, notValues, request.claims["azp"], anyValue(matchesIstioString));
    case "source.principal":
      return fieldMatches(values, notValues, request.principal, matchesIstioString);
    case "source.namespace":
      return fieldMatches(values, notValues, request.namespace, matchesNamespacePattern);
    case "destination.port":
      return fieldMatches(values, notValues, request.port, portMatches);
  }
  const header = HEADER_KEY.exec(key)?.[1];
  if (header !== undefined) return fieldMatches(values, notValues, request.headers[header.toLowerCase()], matchesIstioString);
  const claimPath = CLAIM_KEY.exec(key)?.[1];
  if (claimPath !== undefined) {
    const name = claimPath.slice(1, -1).split("][").join(".");
    return fieldMatches(values, notValues, request.claims[name], anyValue(matchesIstioString));
  }
  return true;
}

function present(list: readonly string[]): readonly string[] | undefined {
  return list.length > 0 ? list : undefined;
}
