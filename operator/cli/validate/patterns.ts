// Regular expressions with the apiserver's semantics (Go's RE2, unanchored search), for
// OpenAPI `pattern` and CEL `matches`, compiled once per distinct pattern.
import { RE2JS } from "@bufbuild/re2";

export interface Pattern {
  readonly source: string;
  test(text: string): boolean;
}

const cache = new Map<string, Pattern>();

/** Compiles an RE2 pattern once; throws the RE2 syntax error for an invalid one. */
export function compilePattern(source: string): Pattern {
  let pattern = cache.get(source);
  if (!pattern) {
    const re2 = RE2JS.compile(source);
    pattern = { source, test: (text) => re2.test(text) };
    cache.set(source, pattern);
  }
  return pattern;
}
