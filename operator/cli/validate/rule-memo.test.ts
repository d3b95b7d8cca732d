// Remembered CEL verdicts: which rules qualify (only those whose inputs take few values), and
// that remembering never changes a verdict, over random sources and authentication blocks
// of every shape the schema allows and some it does not.
import { parse } from "@bufbuild/cel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CrdCatalog, defaultCrdDirectory } from "./crd-catalog.js";
import { evaluateRules, toCel, type CompiledRule } from "./k8s-cel.js";
import { ruleMemo, selfReads } from "./rule-memo.js";
import type { SchemaNode } from "./schema-node.js";

const catalog = CrdCatalog.fromDirectory(defaultCrdDirectory()!);
const policy = catalog.lookup("security.nexus.io/v1alpha1", "AccessPolicy")!.schema;
const spec = policy.properties!.get("spec")!;
const sourceNode = spec.properties!.get("rules")!.items!.properties!.get("from")!.items!;
const authenticationNode = spec.properties!.get("authentication")!;

function withoutMemo(node: SchemaNode): SchemaNode {
  return { ...node, rules: node.rules.map((rule): CompiledRule => ({ ...rule, memo: undefined })) };
}

describe("which CEL rules have their verdicts remembered", () => {
  it("finds the presence tests and field reads of self in a rule's syntax tree", () => {
    expect(selfReads(parse("has(self.a) && self.b.c == 'x' && [1].all(x, x > 0)").expr)).toEqual([
      { path: ["a"], presenceOnly: true },
      { path: ["b", "c"], presenceOnly: false },
    ]);
    expect(selfReads(parse("self.matches('^a$')").expr)).toBeUndefined();
    expect(selfReads(parse("size(self) > 1").expr)).toBeUndefined();
  });

  it("remembers the one-source-kind rule and the spec's gate rule, not rules that read names or lists", () => {
    const memoised = (node: SchemaNode) => node.rules.filter((r) => r.memo !== undefined).map((r) => r.rule.rule);
    expect(memoised(sourceNode)).toEqual([expect.stringContaining("filter(x, x).size() == 1")]);
    expect(memoised(spec)).toEqual([
      "self.action == 'Allow' || !has(self.authentication) || !has(self.authentication.gate) || !self.authentication.gate",
      "!has(self.mtls) || self.mtls != 'Permissive' || has(self.targetIdentity)",
    ]);
    expect(memoised(policy)).toEqual([]);
    expect(ruleMemo(parse("self.metadata.name.size() <= 200").expr, policy)).toBeUndefined();
  });
});

describe("a remembered verdict is the verdict", () => {
  const field = fc.constantFrom("identity", "tenant", "namespace", "principal", "jwt", "apiKey", "unknown");
  const source = fc.dictionary(field, fc.oneof(fc.constant("x"), fc.constant(null), fc.record({ name: fc.constant("a") })), { maxKeys: 4 });
  const authentication = fc.record(
    { gate: fc.oneof(fc.boolean(), fc.constant(null), fc.constant("yes")), requireJWT: fc.boolean(), jwt: fc.array(fc.record({ issuer: fc.constant("https://i") }), { maxLength: 2 }) },
    { requiredKeys: [] },
  );
  const policySpec = fc.record(
    {
      action: fc.constantFrom("Allow", "Deny", "Audit", "Other"),
      mtls: fc.constantFrom("Strict", "Permissive"),
      targetIdentity: fc.constant("api"),
      authentication,
    },
    { requiredKeys: [] },
  );

  function agree(node: SchemaNode, value: unknown): void {
    const remembered = evaluateRules(node, toCel(value, node), value, "x");
    expect(evaluateRules(withoutMemo(node), toCel(value, node), value, "x")).toEqual(remembered);
  }

  it("for sources of any shape", () => {
    fc.assert(fc.property(source, (value) => agree(sourceNode, value)), { numRuns: 500 });
  });

  it("for specs with any action, mTLS mode and gate", () => {
    fc.assert(fc.property(policySpec, (value) => agree(spec, value)), { numRuns: 500 });
    fc.assert(fc.property(authentication, (value) => agree(authenticationNode, value)), { numRuns: 300 });
  });
});
