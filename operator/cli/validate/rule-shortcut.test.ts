// Rules answered in plain code: which rules qualify, and that the answer is always CEL's,
// over random values at every node of both CRDs that has such a rule: strings of the
// characters the patterns care about (and astral ones, which size() counts once), missing
// fields, nulls and values of the wrong type, where the shortcut must leave it to CEL.
import { parse } from "@bufbuild/cel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CrdCatalog, defaultCrdDirectory } from "./crd-catalog.js";
import { evaluateRules, toCel, type CompiledRule } from "./k8s-cel.js";
import { ruleShortcut } from "./rule-shortcut.js";
import type { SchemaNode } from "./schema-node.js";

const catalog = CrdCatalog.fromDirectory(defaultCrdDirectory()!);
const roots = ["AccessPolicy", "EngineIdentity"].map((kind) => catalog.lookup("security.nexus.io/v1alpha1", kind)!.schema);

function nodesOf(node: SchemaNode, out: SchemaNode[] = []): SchemaNode[] {
  out.push(node);
  for (const child of node.properties?.values() ?? []) nodesOf(child, out);
  if (node.items) nodesOf(node.items, out);
  if (node.additionalProperties) nodesOf(node.additionalProperties, out);
  return out;
}

const shortcutNodes = roots.flatMap((root) => nodesOf(root)).filter((node) => node.rules.some((rule) => rule.shortcut));

function withoutShortcuts(node: SchemaNode): SchemaNode {
  return { ...node, rules: node.rules.map((rule): CompiledRule => ({ ...rule, shortcut: undefined })) };
}

const stringNode: SchemaNode = { ...roots[0]!.properties!.get("metadata")!, type: "string", properties: undefined, rules: [] };

describe("which CEL rules are answered in plain code", () => {
  it("takes patterns, lengths and presence tests of self's strings", () => {
    for (const rule of ["self.matches('^a$')", "size(self) <= 3 && !self.matches('b')", "has(self.a) || self.b.size() > 2"]) {
      expect(ruleShortcut(parse(rule).expr!, stringNode), rule).toBeDefined();
    }
  });

  it("takes all() over a map's keys or a list's items with such a test of each", () => {
    const mapNode = roots[1]!.properties!.get("spec")!.properties!.get("workloadSelector")!.properties!.get("matchLabels")!;
    expect(ruleShortcut(parse("self.all(k, k.size() <= 3 && k.matches('^a'))").expr!, mapNode)).toBeDefined();
    for (const rule of ["self.all(k, self[k] == 'a')", "self.exists(k, k.matches('a'))", "self.all(k, k == 'a')", "self.map(k, k).all(x, x.matches('a'))"]) {
      expect(ruleShortcut(parse(rule).expr!, mapNode), rule).toBeUndefined();
    }
  });

  it("leaves other comprehensions, other operators and non-constant operands to CEL", () => {
    for (const rule of ["self.all(k, k.matches('a'))", "self.size() > 1.5", "3 < self.size()", "self.matches(self)", "self == 'a'", "self.startsWith('a')", "self.matches('(')"]) {
      expect(ruleShortcut(parse(rule).expr!, stringNode), rule).toBeUndefined();
    }
  });

  it("covers the CRDs' name and namespace patterns, metadata.name lengths and label keys, not the rules over rules and sources", () => {
    const shortcut = shortcutNodes.flatMap((node) => node.rules.filter((rule) => rule.shortcut).map((rule) => rule.rule.rule));
    expect(shortcut).toContain("self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')");
    expect(shortcut).toContain("self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')");
    expect(shortcut.some((rule) => rule.startsWith("self.all(k, k.size() <= 317"))).toBe(true);
    expect(shortcut.some((rule) => rule.includes("rules.all(") || rule.includes(".exists("))).toBe(false);
  });
});

describe("a shortcut's verdict is CEL's", () => {
  const text = fc.oneof(
    fc.string({ unit: fc.constantFrom(..."az09-._/:A!#\u00e9\u{1F600} ".split("")), maxLength: 12 }),
    fc.string({ unit: fc.constantFrom("a", "-", "\u{1F600}"), minLength: 55, maxLength: 240 }),
    fc.constantFrom("", "a", "a-b", "-a", "a.b", "GET", "https://issuer.example/x", "x".repeat(63), "x".repeat(64), "x".repeat(200), "x".repeat(201)),
    // Within the 200 and 235 limits in code points (CEL's size), beyond them in UTF-16 units.
    fc.constantFrom("a".repeat(199) + "\u{1F600}", "\u{1F600}".repeat(150), "\u{1F600}".repeat(118) + "a", "a".repeat(234) + "\u{1F600}", "\u{1F600}".repeat(201)),
    // Lone surrogates, which CEL counts as one character each.
    fc.constantFrom("a".repeat(199) + "\uD800b", "\uDC00".repeat(201), "x".repeat(234) + "\uD800"),
  );
  const anything = fc.oneof(text, fc.constant(null), fc.integer(), fc.boolean(), fc.constant({}), fc.constant(["a"]));
  const objectValue = fc.record(
    {
      metadata: fc.oneof({ weight: 4, arbitrary: fc.record({ name: text }) }, fc.record({ name: anything }, { requiredKeys: [] }), anything),
      spec: fc.oneof({ weight: 2, arbitrary: fc.record({ serviceAccountName: text }, { requiredKeys: [] }) }, fc.record({ serviceAccountName: anything }, { requiredKeys: [] }), anything),
    },
    { requiredKeys: [] },
  );
  const labels = fc.dictionary(text, fc.oneof(text, anything), { maxKeys: 4 });
  const value = fc.oneof({ weight: 3, arbitrary: text }, { weight: 3, arbitrary: objectValue }, { weight: 2, arbitrary: labels }, fc.array(text, { maxLength: 3 }), anything);

  it("at every node of both CRDs that has one", () => {
    expect(shortcutNodes.length).toBeGreaterThan(5);
    for (const node of shortcutNodes) {
      fc.assert(
        fc.property(value, (v) => {
          const cel = toCel(v, node);
          expect(evaluateRules(node, cel, v, "x")).toEqual(evaluateRules(withoutShortcuts(node), cel, v, "x"));
        }),
        { numRuns: 600 },
      );
    }
  });
});
