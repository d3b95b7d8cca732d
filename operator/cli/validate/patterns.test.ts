// The anchored-pattern shortcut must keep RE2's search verdict exactly: every pattern of the
// CRDs and of ObjectMeta, and patterns where stripping the anchors would change the meaning,
// compared with RE2's own search on random texts over the characters they care about.
import { RE2JS } from "@bufbuild/re2";
import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCrdDirectory } from "./crd-catalog.js";
import { anchoredBody, compilePattern, nativeEquivalent } from "./patterns.js";

function crdPatterns(): string[] {
  const dir = defaultCrdDirectory()!;
  const found = new Set<string>();
  for (const file of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, file), "utf8");
    for (const m of text.matchAll(/pattern: '((?:[^']|'')*)'/g)) found.add(m[1]!.replaceAll("''", "'"));
    for (const m of text.matchAll(/matches\('((?:[^'\\]|\\.)*)'\)/g)) found.add(m[1]!.replaceAll("\\\\", "\\"));
  }
  return [...found];
}

const TRICKY = [
  "^a|b$", "^(a|b)$", "^a\\$", "^a\\\\$", "^[|]$", "^[]|]$", "^[^]|]+$", "^a\\|b$", "^(?m)a$", "^(?i)ab$", "^*a$",
  "^$", "^^a$$", "^[[:alpha:]|]+$", "^(a)|(b)$", "^x(a|b)y$", "^.*$", "^a.b$", "^(?:a|b)+$", "a$", "^a", "^\\Qa|b\\E$",
  // Where JavaScript's RegExp could read a pattern otherwise than RE2.
  "^[^*]+$", "^[^]a]+$", "^[]a]+$", "^a{2,3}$", "^a{,3}$", "^a{2}b?$", "a{", "^\\d+$", "^\\s*$", "^\\w+$", "^\\ba", "^[\\x27a]+$",
  "^\\x2a+$", "^\\.$", "^[\\^a-]+$", "^(?:ab)*?$", "^\u00e9$", "^[^a-z]$", "\\$", "^[a-\\]]+$", "^[\\[]$",
];

describe("patterns run by the engine's own RegExp", () => {
  it("are those whose every part means the same to both engines", () => {
    for (const source of ["^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "^[0-9a-f]{64}$", "^[A-Za-z0-9!#$%&\\x27*+.^_`|~-]+$", "^([*]|[*][^*]+|/[^*]*[*]?)$"]) {
      expect(nativeEquivalent(source), source).toBeInstanceOf(RegExp);
    }
    for (const source of ["^.*$", "^\\d$", "^[[:space:]]$", "^(?i)a$", "^[]a]$", "^[^]a]$", "a{", "^\u00e9$", "^\\pL$"]) {
      expect(nativeEquivalent(source), source).toBeUndefined();
    }
  });
});

describe("RE2 patterns of the form ^M$", () => {
  it("strip their anchors only where they bind the whole pattern", () => {
    expect(anchoredBody("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")).toBe("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    expect(anchoredBody("^(a|b)$")).toBe("(a|b)");
    expect(anchoredBody("^[]|]$")).toBe("[]|]");
    for (const kept of ["^a|b$", "^a\\$", "^(?m)a$", "^*a$", "a$", "^a", "^(a)|(b)$", "^\\Qa|b\\E$"]) expect(anchoredBody(kept), kept).toBeUndefined();
  });

  it("give RE2's search verdict on every text", () => {
    const patterns = [...crdPatterns(), ...TRICKY];
    expect(patterns.length).toBeGreaterThan(TRICKY.length + 10);
    const alphabet = fc.constantFrom(..."aAbz09-._/:|[]$^\n \t!#*+~'\u00e9\u{1F600}\u00a0\u2028".split(""), "\ud800", "\u{1F600}");
    const texts = fc.oneof(fc.string({ unit: alphabet, maxLength: 70 }), fc.constantFrom("", "a", "b", "ab", "a-b.c", "https://x/y", "x-api-key", "1h", "Issuer"));
    for (const source of patterns) {
      let reference: RE2JS;
      try {
        reference = RE2JS.compile(source);
      } catch (err) {
        // What RE2 refuses stays refused, with RE2's message.
        expect(() => compilePattern(source), source).toThrow((err as Error).message);
        continue;
      }
      const pattern = compilePattern(source);
      fc.assert(fc.property(texts, (text) => pattern.test(text) === reference.test(text)), { numRuns: 400 });
    }
  });
});
