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
    const native = nativeEquivalent(source);
    if (native) {
      // RE2 still decides what is a valid pattern.
      RE2JS.compile(source);
      pattern = { source, test: (text) => native.test(text) };
      cache.set(source, pattern);
      return pattern;
    }
    const matches = matcherOf(source);
    // The same values (namespaces, methods, label values) recur across thousands of
    // objects, and a match costs far more than a lookup.
    const verdicts = new Map<string, boolean>();
    pattern = {
      source,
      test: (text) => {
        let verdict = verdicts.get(text);
        if (verdict === undefined) {
          verdict = matches(text);
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

/**
 * The engine's own RegExp for a pattern that means the same to it as to RE2, or undefined.
 * Only patterns built from literal characters, bracket classes of ASCII characters and
 * ranges, groups, alternation, repetition and the two anchors qualify: for these both
 * engines match the same texts (in `u` mode JavaScript reads code points, as RE2 does).
 * `.`, `\d`, `\s`, `\w`, `\b`, POSIX classes and flags differ between the two and keep
 * a pattern on RE2. RE2's syntax errors still decide what is invalid: compilePattern
 * compiles every pattern with RE2 as well.
 */
export function nativeEquivalent(source: string): RegExp | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c > 0x7e || c < 0x20) return undefined;
    const ch = source[i]!;
    if (ch === "\\") {
      const next = source[i + 1] ?? "";
      // A letter after a backslash is a class or an assertion (except \xHH, the same in both).
      if (/[A-Za-z0-9]/.test(next)) {
        if (next !== "x" || !/^[0-9A-Fa-f]{2}$/.test(source.slice(i + 2, i + 4))) return undefined;
        i += 3;
      } else i++;
      continue;
    }
    if (inClass) {
      if (ch === "[") return undefined;
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      // A `]` first in a class is a member for RE2 and an empty class for JavaScript.
      if (source[i + 1] === "]" || (source[i + 1] === "^" && source[i + 2] === "]")) return undefined;
      if (source[i + 1] === "^") i++;
      continue;
    }
    if (ch === ".") return undefined;
    if (ch === "(" && source[i + 1] === "?" && source[i + 2] !== ":") return undefined;
  }
  if (inClass) return undefined;
  try {
    return new RegExp(source, "u");
  } catch {
    return undefined;
  }
}

/**
 * Nearly every pattern in a CRD is `^M$`: a search for it finds exactly the texts that M
 * matches whole, and RE2 matches M whole several times faster than it searches with the
 * anchors' empty-width checks at every step. Only where the anchors bind the whole pattern.
 */
function matcherOf(source: string): (text: string) => boolean {
  const searched = RE2JS.compile(source);
  const whole = anchoredBody(source);
  if (whole !== undefined) {
    try {
      const body = RE2JS.compile(whole);
      return (text) => body.matches(text);
    } catch {
      // The body alone is not a pattern (`^*a$` repeats the anchor): search as written.
    }
  }
  return (text) => searched.test(text);
}

/**
 * M of a pattern `^M$` whose anchors apply to all of it; undefined for any other pattern:
 * one without both anchors, with an escaped final `$`, an alternation at the top (`^a|b$`),
 * flags that could make `$` an end of line (`(?m)`), quoted text, or M starting with a
 * repetition (which would repeat the `^`).
 */
export function anchoredBody(source: string): string | undefined {
  if (!source.startsWith("^") || !source.endsWith("$")) return undefined;
  let backslashes = 0;
  for (let i = source.length - 2; i >= 0 && source[i] === "\\"; i--) backslashes++;
  if (backslashes % 2 === 1) return undefined;
  const body = source.slice(1, -1);
  if (/^[*+?{]/.test(body) || body.includes("\\Q") || /\(\?(?!:)/.test(body)) return undefined;
  return hasTopLevelAlternation(body) === false ? body : undefined;
}

/** Whether `|` separates alternatives outside every group and class; undefined when the pattern cannot be read. */
function hasTopLevelAlternation(body: string): boolean | undefined {
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      i++;
    } else if (c === "[") {
      i++;
      if (body[i] === "^") i++;
      // A `]` first in a class is a member, not its end.
      if (body[i] === "]") i++;
      for (; i < body.length && body[i] !== "]"; i++) {
        if (body[i] === "\\") i++;
        else if (body[i] === "[" && body[i + 1] === ":") {
          const end = body.indexOf(":]", i + 2);
          if (end < 0) return undefined;
          i = end + 1;
        }
      }
      if (i >= body.length) return undefined;
    } else if (c === "(") {
      depth++;
    } else if (c === ")") {
      depth--;
      if (depth < 0) return undefined;
    } else if (c === "|" && depth === 0) {
      return true;
    }
  }
  return depth === 0 ? false : undefined;
}
