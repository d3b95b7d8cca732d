// authentication -> a RequestAuthentication that validates tokens of the declared issuers
// and, with requireJWT, a DENY policy for requests that carry no valid token. Istio's
// RequestAuthentication alone lets a request without any token through unauthenticated.
import type { JwtIssuer } from "../api/types.js";
import type { AuthorizationPolicySpec, IstioJwtRule, RequestAuthenticationSpec, WorkloadSelectorSpec } from "./istio-types.js";
import { compareStrings, sortedUnique } from "./sorted.js";
import { selectorField } from "./target.js";

export function requestAuthenticationSpec(issuers: JwtIssuer[], selector: WorkloadSelectorSpec | undefined): RequestAuthenticationSpec {
  const jwtRules = [...issuers].sort((a, b) => compareStrings(a.issuer, b.issuer)).map(jwtRuleOf);
  return { ...selectorField(selector), jwtRules };
}

function jwtRuleOf(issuer: JwtIssuer): IstioJwtRule {
  return {
    issuer: issuer.issuer,
    ...(issuer.jwksUri !== undefined ? { jwksUri: issuer.jwksUri } : {}),
    ...(issuer.jwks !== undefined ? { jwks: issuer.jwks } : {}),
    ...(issuer.audiences?.length ? { audiences: sortedUnique(issuer.audiences) } : {}),
    // Header order is kept as written: it is the order the token is looked for in.
    ...(issuer.fromHeaders?.length
      ? { fromHeaders: issuer.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix !== undefined ? { prefix: h.prefix } : {}) })) }
      : {}),
    ...(issuer.forwardOriginalToken !== undefined ? { forwardOriginalToken: issuer.forwardOriginalToken } : {}),
  };
}

export function requireJwtPolicySpec(selector: WorkloadSelectorSpec | undefined): AuthorizationPolicySpec {
  return {
    ...selectorField(selector),
    action: "DENY",
    rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }],
  };
}
