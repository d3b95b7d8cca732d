// How Istio combines a positive list, a negative list and a request attribute that may be
// missing. Istio renders `values` as "one of these matches" and `notValues` as the Envoy
// negation of that; a missing attribute matches no matcher, so it fails every positive
// field and passes every negative one. That is why `notRequestPrincipals: ["*"]` selects
// exactly the requests that carry no valid token.

export type PatternMatcher<A> = (pattern: string, attribute: A) => boolean;

export function fieldMatches<A>(
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  attribute: A | undefined,
  matches: PatternMatcher<A>,
): boolean {
  const anyMatches = (patterns: readonly string[]) => attribute !== undefined && patterns.some((p) => matches(p, attribute));
  if (values && values.length > 0 && !anyMatches(values)) return false;
  if (notValues && notValues.length > 0 && anyMatches(notValues)) return false;
  return true;
}

/** For attributes with several values (claims, audiences): a pattern matches when any value does. */
export function anyValue(matches: PatternMatcher<string>): PatternMatcher<readonly string[]> {
  return (pattern, attribute) => attribute.some((value) => matches(pattern, value));
}
