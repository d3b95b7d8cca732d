import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IstioRule } from "./istio-types.js";
import { jsonBytes, shardName, shardRules } from "./shard.js";
import { authorizationSpec, identity, NAMESPACE, principalOf, render } from "./test-fixtures.js";

const principals = (count: number, prefix = "engine") => Array.from({ length: count }, (_, i) => principalOf(NAMESPACE, `${prefix}-${String(i).padStart(4, "0")}`));
const ruleFrom = (values: string[], extra: Partial<IstioRule> = {}): IstioRule => ({ from: [{ source: { principals: values } }], ...extra });
const METADATA_ALLOWANCE = 8 * 1024;

describe("sharding a rendered AuthorizationPolicy under its size budget", () => {
  it("keeps everything in one group when it fits, and one empty group for no rules", () => {
    const rules = [ruleFrom(principals(3))];
    expect(shardRules(rules, { budgetBytes: 512 * 1024, envelopeBytes: 100 })).toEqual([rules]);
    expect(shardRules([], { budgetBytes: 512 * 1024, envelopeBytes: 100 })).toEqual([[]]);
  });

  it("packs rules in order into groups that each fit the room left by the envelope", () => {
    const rules = Array.from({ length: 40 }, (_, i) => ruleFrom(principals(5, `r${i}`)));
    const budgetBytes = METADATA_ALLOWANCE + 100 + 3 * (jsonBytes(rules[0]) + 1);
    const groups = shardRules(rules, { budgetBytes, envelopeBytes: 100 });
    expect(groups.flat()).toEqual(rules);
    expect(groups.length).toBeGreaterThan(10);
    for (const group of groups) expect(group.reduce((sum, rule) => sum + jsonBytes(rule) + 1, 0)).toBeLessThanOrEqual(budgetBytes - 100 - METADATA_ALLOWANCE);
  });

  it("cuts a rule too large alone by its sources, keeping its operations and conditions on every piece", () => {
    const to = [{ operation: { methods: ["GET"] } }];
    const when = [{ key: "request.auth.claims[group]", values: ["admin"] }];
    const values = principals(200);
    const rule = { from: [{ source: { principals: values } }, { source: { namespaces: ["frontend"] } }], to, when };
    const groups = shardRules([rule], { budgetBytes: METADATA_ALLOWANCE + 2_000, envelopeBytes: 0 });
    const pieces = groups.flat();
    expect(pieces.length).toBeGreaterThan(5);
    for (const piece of pieces) {
      expect(piece.to).toEqual(to);
      expect(piece.when).toEqual(when);
      expect(piece.from).toHaveLength(1);
    }
    expect(pieces.flatMap((p) => p.from?.[0]?.source.principals ?? [])).toEqual(values);
    expect(pieces.flatMap((p) => p.from?.[0]?.source.namespaces ?? [])).toEqual(["frontend"]);
  });

  it("never cuts a negative field or a source with several fields: a piece of either would match more callers", () => {
    const negative: IstioRule = { from: [{ source: { notRequestPrincipals: Array.from({ length: 100 }, (_, i) => `issuer-${i}/*`) } }] };
    const both: IstioRule = { from: [{ source: { principals: principals(100), namespaces: ["a"] } }] };
    const pieces = shardRules([negative, both], { budgetBytes: METADATA_ALLOWANCE + 500, envelopeBytes: 0 }).flat();
    expect(pieces).toEqual([negative, both]);
  });

  it("names the first shard after the policy and the others with a counter", () => {
    expect([0, 1, 2].map((i) => shardName("nexus-p", i))).toEqual(["nexus-p", "nexus-p-1", "nexus-p-2"]);
  });
});

describe("the renderer shards a large tenant source", () => {
  const members = Array.from({ length: 3_000 }, (_, i) => identity(NAMESPACE, `member-with-a-long-name-${String(i).padStart(5, "0")}`, { tenant: "big" }));
  const target = identity(NAMESPACE, "ledger", { tenant: "big" });
  // Each rule also names an engine of its own, so no two rules admit the same callers (those would be one rule).
  const own = Array.from({ length: 10 }, (_, i) => identity(NAMESPACE, `own-${i}`));
  const spec = { targetIdentity: "ledger", rules: own.map((o, i) => ({ from: [{ tenant: "big" }, { identity: { name: o.name } }], to: [{ ports: [8000 + i] }] })) };

  it("spreads the rules over shards of at most 512 KiB each, with the same selector and action, and lists every principal", () => {
    const result = render(spec, [target, ...members, ...own]);
    const shards = result.objects.filter((o) => o.kind === "AuthorizationPolicy");
    expect(shards.length).toBeGreaterThan(2);
    expect(shards.map((o) => o.metadata.name)).toEqual(shards.map((_, i) => shardName("nexus-ledger-access", i)).sort());
    for (const shard of shards) {
      expect(jsonBytes(shard)).toBeLessThanOrEqual(512 * 1024);
      expect(shard.spec).toMatchObject({ selector: { matchLabels: { app: "ledger" } }, action: "ALLOW" });
    }
    const listed = shards.flatMap((o) => (o.kind === "AuthorizationPolicy" ? (o.spec.rules ?? []) : [])).flatMap((r) => r.from?.[0]?.source.principals ?? []);
    expect(listed).toHaveLength(10 * 3_002);
  });

  it("covers every shard with the one policy hash", () => {
    const result = render(spec, [target, ...members, ...own]);
    const fewer = render(spec, [target, ...members.slice(1), ...own]);
    expect(new Set(result.objects.map((o) => o.metadata.annotations?.["security.nexus.io/policy-hash"]))).toEqual(new Set([result.policyHash]));
    expect(fewer.policyHash).not.toBe(result.policyHash);
  });

  it("renders a small policy as one object named after it, as before", () => {
    expect(authorizationSpec(render({ targetIdentity: "ledger", rules: [{ from: [{ tenant: "big" }] }] }, [target, ...members.slice(0, 3)])).rules).toHaveLength(1);
  });
});

describe("measuring JSON without writing it", () => {
  it("counts exactly the UTF-8 bytes of JSON.stringify, escapes and non-ASCII included", () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom('a"b', "c\\d", "\n", "\u2028", "é"), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined)),
      node: fc.oneof({ depthSize: "small" }, tie("leaf"), fc.array(tie("node"), { maxLength: 5 }), fc.dictionary(fc.string(), tie("node"), { maxKeys: 5 })),
    })).node;
    fc.assert(fc.property(fc.oneof(fc.array(value), fc.dictionary(fc.string(), value)), (v) => jsonBytes(v) === Buffer.byteLength(JSON.stringify(v), "utf8")), { numRuns: 2000 });
  });

  it("measures a long list again after it grew, not from the first measure", () => {
    const list = principals(300);
    const before = jsonBytes(list);
    list.push(principalOf(NAMESPACE, "late-joiner"));
    expect(jsonBytes(list)).toBe(Buffer.byteLength(JSON.stringify(list)));
    expect(jsonBytes(list)).toBeGreaterThan(before);
  });
});
