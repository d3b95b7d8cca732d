// Istio's string patterns, as its authorization generator turns them into Envoy matchers.
// The order of the checks is Istio's: a value that both starts and ends with "*" (other
// than "*" itself) is a suffix match, so "*abc*" only matches values ending in "abc*".

/** Exact "abc", prefix "abc*", suffix "*abc", or presence "*" (any non-empty value). */
export function matchesIstioString(pattern: string, value: string): boolean {
  if (pattern === "*") return value.length > 0;
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

/**
 * Namespaces are matched by Istio as the regex `.*\/ns/<value>/.*` over the peer principal,
 * with every "*" of the value turned into ".*"; so here "*" is a glob anywhere in the name
 * and may match nothing at all (unlike the presence match of other fields).
 */
export function matchesNamespacePattern(pattern: string, namespace: string): boolean {
  const parts = pattern.split("*").map(escapeRegExp);
  return new RegExp(`^${parts.join(".*")}$`).test(namespace);
}

/**
 * Request principals ("<issuer>/<subject>") are matched by Istio as two claims: the pattern
 * is split at its last "/", the issuer and the subject compared on their own. So
 * "https://iss/*" means "issuer exactly https://iss, any non-empty subject", and does not
 * match a token from the issuer "https://iss/other".
 */
export function matchesRequestPrincipalPattern(pattern: string, issuer: string, subject: string): boolean {
  const cut = pattern.lastIndexOf("/");
  const hasSlash = cut >= 0;
  const patternIssuer = hasSlash ? pattern.slice(0, cut) : pattern;
  const patternSubject = hasSlash ? pattern.slice(cut + 1) : "";
  const nonEmpty = (v: string) => v.length > 0;
  if (pattern === "*") return nonEmpty(issuer) && nonEmpty(subject);
  if (pattern.startsWith("*")) {
    if (!hasSlash) return nonEmpty(issuer) && subject.endsWith(pattern.slice(1));
    const issuerMatches = patternIssuer === "*" ? nonEmpty(issuer) : issuer.endsWith(patternIssuer.slice(1));
    return issuerMatches && subject === patternSubject;
  }
  if (pattern.endsWith("*")) {
    if (!hasSlash) return issuer.startsWith(pattern.slice(0, -1)) && nonEmpty(subject);
    const subjectMatches = patternSubject === "*" ? nonEmpty(subject) : subject.startsWith(patternSubject.slice(0, -1));
    return issuer === patternIssuer && subjectMatches;
  }
  return issuer === patternIssuer && subject === patternSubject;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
