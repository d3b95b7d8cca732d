// Verdicts remembered by the parts of self a rule reads: what the analysis finds in a rule,
// which rules of the CRDs qualify, and that a remembered verdict is CEL's over random
// policy specs of many shapes, evaluated in one long sequence so that later specs meet the
// verdicts earlier ones left (a key too coarse would hand one a wrong verdict).
import { parse } from "@bufbuild/cel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CrdCatalog, defaultCrdDirectory } from "./crd-catalog.js";
import { evaluateRules, toCel, type CompiledRule } from "./k8s-cel.js";
import { projectedReads } from "./rule-projection.js";
import type { SchemaNode } from "./schema-node.js";

const catalog = CrdCatalog.fromDirectory(defaultCrdDirectory()!);
const spec = catalog.lookup("security.nexus.io/v1alpha1", "AccessPolicy")!.schema.properties!.get("spec")!;
const labels = catalog.lookup("security.nexus.io/v1alpha1", "EngineIdentity")!.schema.properties!.get("spec")!.properties!.get("workloadSelector")!.properties!.get("matchLabels")!;

const shown = (reads: ReturnType<typeof projectedReads>) => reads?.map((read) => `${read.how} ${read.path.map((s) => (typeof s === "string" ? s : "*")).join(".")}`);

describe("the parts of self a rule reads", () => {
  it("follow comprehension variables into the lists they iterate", () => {
    expect(shown(projectedReads(parse("self.action != 'Allow' || !has(self.rules) || self.rules.all(r, has(r.from) && size(r.from) > 0)").expr!, spec))).toEqual([
      "value action",
      "presence rules",
      "size rules",
      "presence rules.*.from",
      "size rules.*.from",
    ]);
  });

  it("are not told for maps iterated, for self as a whole, or for rules that read nothing of self", () => {
    expect(projectedReads(parse("self.all(k, k.size() <= 317)").expr!, labels)).toBeUndefined();
    expect(projectedReads(parse("self == self").expr!, spec)).toBeUndefined();
    expect(projectedReads(parse("1 < 2").expr!, spec)).toBeUndefined();
  });

  it("qualify the four spec-level rules that walk the policy's rules, and the one that walks its issuers", () => {
    const remembered = spec.rules.filter((rule) => rule.projection).map((rule) => rule.rule.rule);
    expect(remembered).toHaveLength(5);
    expect(remembered.filter((rule) => rule.includes("self.rules"))).toHaveLength(4);
    expect(remembered.filter((rule) => rule.includes("self.authentication.jwt.all("))).toHaveLength(1);
  });
});

describe("a verdict remembered by the parts read is CEL's", () => {
  const issuer = fc.constantFrom("https://a.example", "https://b.example");
  const keyId = fc.constantFrom("k1", "k2");
  const source = fc.oneof(
    fc.record({ identity: fc.record({ name: fc.constantFrom("x", "y") }) }),
    fc.record({ jwt: fc.oneof(fc.record({ issuer }), fc.constant({}), fc.constant(null)) }),
    fc.record({ apiKey: fc.oneof(fc.record({ id: keyId }), fc.record({ tenant: fc.constant("t") }), fc.constant(null)) }),
    fc.record({ namespace: fc.constant("n") }),
    fc.constant({}),
    fc.constant(null),
  );
  const rule = fc.record({ from: fc.oneof(fc.array(source, { maxLength: 3 }), fc.constant(null), fc.constant("x")) }, { requiredKeys: [] });
  const authentication = fc.record(
    {
      jwt: fc.oneof(fc.array(fc.record({ issuer }, { requiredKeys: [] }), { maxLength: 2 }), fc.constant(null)),
      apiKeys: fc.record({ keys: fc.array(fc.record({ id: keyId }, { requiredKeys: [] }), { maxLength: 2 }) }, { requiredKeys: [] }),
      gate: fc.oneof(fc.boolean(), fc.constant(null)),
    },
    { requiredKeys: [] },
  );
  const policySpec = fc.record(
    { action: fc.constantFrom("Allow", "Deny", "Audit"), rules: fc.oneof(fc.array(rule, { maxLength: 3 }), fc.constant(null)), authentication },
    { requiredKeys: [] },
  );

  function withoutProjections(node: SchemaNode): SchemaNode {
    return { ...node, rules: node.rules.map((rule): CompiledRule => ({ ...rule, projection: undefined })) };
  }

  it("for specs with any rules, sources and authentication", () => {
    const plain = withoutProjections(spec);
    fc.assert(
      fc.property(policySpec, (value) => {
        expect(evaluateRules(spec, () => toCel(value, spec), value, "spec")).toEqual(evaluateRules(plain, toCel(value, plain), value, "spec"));
      }),
      { numRuns: 3000 },
    );
  });
});
