// Regular expressions with the apiserver's semantics (Go's RE2, unanchored search), for
// OpenAPI `pattern` and CEL `matches`, compiled once per distinct pattern.
import { RE2JS } from "@bufbuild/re2";

export interface Pattern {
  readonly source: string;
  test(text: string): boolean;
}

const cache = new Map<string, Pattern>();
const MAX_REMEMBERED_VERDICTS = 4096;

/** Compiles an RE2 pattern once; throws the RE2 syntax error for an invalid one. */
export function compilePattern(source: string): Pattern {
  let pattern = cache.get(source);
  if (!pattern) {
    const re2 = RE2JS.compile(source);
    // The same values (namespaces, methods, label values) recur across thousands of
    // objects, and a match costs far more than a lookup.
    const verdicts = new Map<string, boolean>();
    pattern = {
      source,
      test: (text) => {
        let verdict = verdicts.get(text);
        if (verdict === undefined) {
          verdict = re2.test(text);
          if (verdicts.size >= MAX_REMEMBERED_VERDICTS) verdicts.clear();
          verdicts.set(text, verdict);
        }
        return verdict;
      },
    };
    cache.set(source, pattern);
  }
  return pattern;
}
