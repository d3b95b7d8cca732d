import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentHashOf, recordedContentHash } from "../render/content-hash.js";
import { policyObjectName, shardName } from "../render/names.js";
import type { IstioRule } from "./istio-types.js";
import { contentPieces, jsonBytes, PIECE_MAX_BYTES, shardRules, type Shard } from "./shard.js";
import { authorizationSpec, identity, NAMESPACE, POLICY_NAME, principalOf, render } from "./test-fixtures.js";

const principals = (count: number, prefix = "engine") => Array.from({ length: count }, (_, i) => principalOf(NAMESPACE, `${prefix}-${String(i).padStart(4, "0")}`));
const ruleFrom = (values: string[], extra: Partial<IstioRule> = {}): IstioRule => ({ from: [{ source: { principals: values } }], ...extra });
const METADATA_ALLOWANCE = 8 * 1024;
const BUDGET = 512 * 1024;
const rulesOf = (shards: Shard[]) => shards.flatMap((s) => s.rules);

describe("sharding a rendered AuthorizationPolicy under its size budget", () => {
  it("keeps everything in one group when it fits, and one empty group for no rules", () => {
    const rules = [ruleFrom(principals(3))];
    expect(shardRules(rules, { budgetBytes: BUDGET, envelopeBytes: 100 })).toEqual([{ n: 0, rules }]);
    expect(shardRules([], { budgetBytes: BUDGET, envelopeBytes: 100 })).toEqual([{ n: 0, rules: [] }]);
  });

  it("packs rules into groups that each fit the room left by the envelope", () => {
    const rules = Array.from({ length: 40 }, (_, i) => ruleFrom(principals(5, `r${i}`)));
    const budgetBytes = METADATA_ALLOWANCE + 100 + 3 * (jsonBytes(rules[0]) + 1);
    const groups = shardRules(rules, { budgetBytes, envelopeBytes: 100 });
    expect(rulesOf(groups).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([...rules].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    expect(groups[0]!.n).toBe(0);
    expect(new Set(groups.map((g) => g.n)).size).toBe(groups.length);
    expect(groups.length).toBeGreaterThan(10);
    for (const group of groups) expect(group.rules.reduce((sum, rule) => sum + jsonBytes(rule) + 1, 0)).toBeLessThanOrEqual(budgetBytes - 100 - METADATA_ALLOWANCE);
  });

  it("cuts a long list into pieces, keeping its rule's operations and conditions on every piece", () => {
    const to = [{ operation: { methods: ["GET"] } }];
    const when = [{ key: "request.auth.claims[group]", values: ["admin"] }];
    const values = principals(200);
    const rule = { from: [{ source: { principals: values } }, { source: { namespaces: ["frontend"] } }], to, when };
    const pieces = rulesOf(shardRules([rule], { budgetBytes: METADATA_ALLOWANCE + 2_000, envelopeBytes: 0 }));
    expect(pieces.length).toBeGreaterThan(5);
    for (const piece of pieces) {
      expect(piece.to).toEqual(to);
      expect(piece.when).toEqual(when);
      expect(piece.from).toHaveLength(1);
    }
    expect(pieces.flatMap((p) => p.from?.[0]?.source.principals ?? []).sort()).toEqual(values);
    expect(pieces.flatMap((p) => p.from?.[0]?.source.namespaces ?? [])).toEqual(["frontend"]);
  });

  it("never cuts a negative field or a source with several fields: a piece of either would match more callers", () => {
    const negative: IstioRule = { from: [{ source: { notRequestPrincipals: Array.from({ length: 100 }, (_, i) => `issuer-${i}/*`) } }] };
    const both: IstioRule = { from: [{ source: { principals: principals(100), namespaces: ["a"] } }] };
    const pieces = rulesOf(shardRules([negative, both], { budgetBytes: METADATA_ALLOWANCE + 500, envelopeBytes: 0 }));
    expect(pieces).toEqual([negative, both]);
  });

  it("names the first shard after the policy and the others with a dot and their number", () => {
    expect([0, 1, 2].map((i) => shardName("p", i))).toEqual(["nexus-p", "nexus-p.1", "nexus-p.2"]);
  });
});

describe("pieces chosen by content", () => {
  // Principals as a large tenant has them: many namespaces, names of varying length.
  const member = fc.tuple(fc.integer({ min: 0, max: 199 }), fc.stringMatching(/^[a-z][a-z0-9-]{2,30}[a-z0-9]$/)).map(([ns, name]) => `cluster.local/ns/tenant-${ns}/sa/${name}`);
  const tenant = fc.uniqueArray(member, { minLength: 800, maxLength: 2_500 }).map((list) => list.sort());
  const rulesNaming = (list: string[]): IstioRule[] => [
    { from: [{ source: { principals: list } }], to: [{ operation: { methods: ["GET"], paths: ["/area-0/*"] } }] },
    { from: [{ source: { principals: list } }], to: [{ operation: { methods: ["POST"], paths: ["/area-1/*"] } }] },
  ];
  const byNumber = (shards: Shard[]) => new Map(shards.map((s) => [s.n, JSON.stringify(s.rules)]));
  /** Shards added, removed or rewritten between two renderings. */
  const changedShards = (before: Shard[], after: Shard[]) => {
    const a = byNumber(before);
    const b = byNumber(after);
    return [...new Set([...a.keys(), ...b.keys()])].filter((n) => a.get(n) !== b.get(n)).length;
  };

  // A change that pushes a piece past the largest size cuts it anew inside (a handful of
  // shards, rarely); every other change rewrites one shard, or two when it makes or removes an end.
  it("adding or removing one member changes at most a few shards, about one on average, however large the tenant", () => {
    const counts: number[] = [];
    fc.assert(
      fc.property(tenant, member, fc.nat(), (list, extra, pick) => {
        const before = shardRules(rulesNaming(list), { budgetBytes: BUDGET, envelopeBytes: 200 });
        const added = [...new Set([...list, extra])].sort();
        const removed = list.filter((_, i) => i !== pick % list.length);
        for (const after of [added, removed].map((l) => shardRules(rulesNaming(l), { budgetBytes: BUDGET, envelopeBytes: 200 }))) {
          const changed = changedShards(before, after);
          counts.push(changed);
          expect(changed).toBeLessThanOrEqual(8);
        }
        // The property says little unless the lists were really cut.
        expect(before.length).toBeGreaterThan(1);
      }),
      { numRuns: 150, endOnFailure: true },
    );
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeLessThan(1.6);
  });

  it("is deterministic: the same members in new lists give byte-identical shards", () => {
    fc.assert(
      fc.property(tenant, (list) => {
        const first = shardRules(rulesNaming(list), { budgetBytes: BUDGET, envelopeBytes: 200 });
        const again = shardRules(rulesNaming([...list]), { budgetBytes: BUDGET, envelopeBytes: 200 });
        expect(JSON.stringify(again)).toBe(JSON.stringify(first));
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });

  it("keeps each piece within the largest piece size and loses or repeats no member", () => {
    fc.assert(
      fc.property(tenant, fc.integer({ min: 200, max: PIECE_MAX_BYTES }), (list, max) => {
        const pieces = contentPieces(list, max);
        expect(pieces.flatMap((p) => p.values)).toEqual(list);
        for (const piece of pieces) expect(piece.values.length === 1 || jsonBytes(piece.values) <= max).toBe(true);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  });

  it("gives a list's pieces that a member joining did not touch the arrays they had before", () => {
    const before = principals(3_000);
    const joined = [...before, principalOf(NAMESPACE, "engine-1499a")].sort();
    const earlier = new Set(contentPieces(before, PIECE_MAX_BYTES).map((p) => p.values));
    const pieces = contentPieces(joined, PIECE_MAX_BYTES);
    const kept = pieces.filter((p) => earlier.has(p.values));
    expect(pieces.flatMap((p) => p.values)).toEqual(joined);
    expect(kept.length).toBeGreaterThan(10);
    expect(pieces.length - kept.length).toBeGreaterThanOrEqual(1);
    expect(pieces.length - kept.length).toBeLessThanOrEqual(2);
    // A new piece is never one of the earlier arrays with other contents.
    for (const piece of pieces) if (!earlier.has(piece.values)) expect(piece.values).toContain(principalOf(NAMESPACE, "engine-1499a"));
  });

  it("puts the pieces of one list named by several rules into the same shards", () => {
    const list = principals(2_000);
    const one = shardRules(rulesNaming(list).slice(0, 1), { budgetBytes: BUDGET, envelopeBytes: 200 });
    const two = shardRules(rulesNaming(list), { budgetBytes: BUDGET, envelopeBytes: 200 });
    expect(two.map((s) => s.n)).toEqual(one.map((s) => s.n));
    for (const shard of two) expect(shard.rules).toHaveLength(2);
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
    expect(shards.map((o) => o.metadata.name)).toContain(policyObjectName(POLICY_NAME));
    for (const shard of shards) {
      expect(shard.metadata.name).toMatch(/^nexus-ledger-access(\.[1-9][0-9]*)?$/);
      expect(jsonBytes(shard)).toBeLessThanOrEqual(512 * 1024);
      expect(shard.spec).toMatchObject({ selector: { matchLabels: { app: "ledger" } }, action: "ALLOW" });
    }
    const listed = shards.flatMap((o) => (o.kind === "AuthorizationPolicy" ? (o.spec.rules ?? []) : [])).flatMap((r) => r.from?.[0]?.source.principals ?? []);
    expect(listed).toHaveLength(10 * 3_002);
  });

  it("records on each object the hash of its own content, and a member leaving rewrites one or two shards while the policy's version changes", () => {
    const result = render(spec, [target, ...members, ...own]);
    const fewer = render(spec, [target, ...members.filter((_, i) => i !== 1_234), ...own]);
    for (const object of result.objects) expect(recordedContentHash(object)).toBe(contentHashOf(object));
    expect(result.objects.every((o) => o.metadata.annotations?.["security.nexus.io/policy-hash"] === undefined)).toBe(true);
    expect(fewer.policyHash).not.toBe(result.policyHash);
    const before = new Map(result.objects.map((o) => [o.metadata.name, recordedContentHash(o)]));
    const after = new Map(fewer.objects.map((o) => [o.metadata.name, recordedContentHash(o)]));
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((name) => before.get(name) !== after.get(name));
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(2);
    expect(result.objects.length).toBeGreaterThan(10);
  });

  it("records each shard's own content hash when another policy naming the tenant rendered the same pieces first", () => {
    // The digests kept with a piece are shared by every policy naming the tenant: a policy
    // another namespace's user writes for another target must not be given this one's.
    const payments = identity(NAMESPACE, "payments", { tenant: "big" });
    const everyone = [target, payments, ...members];
    const tenantOnly = (targetIdentity: string) => ({ targetIdentity, rules: [{ from: [{ tenant: "big" }], to: [{ ports: [8443] }] }] });
    const renderings = [
      render(tenantOnly("ledger"), everyone),
      render(tenantOnly("payments"), everyone),
      render(tenantOnly("payments"), everyone.filter((_, i) => i !== 1_234)),
      render(tenantOnly("ledger"), everyone.filter((_, i) => i !== 1_234)),
    ];
    for (const result of renderings) {
      // A copy holds new lists, which keep no digests: its hash is made from its text.
      for (const object of result.objects) expect(recordedContentHash(object)).toBe(contentHashOf(structuredClone(object)));
    }
    const hashesOf = (result: (typeof renderings)[number]) => new Set(result.objects.map((o) => recordedContentHash(o)));
    const ledgerHashes = hashesOf(renderings[0]!);
    for (const hash of hashesOf(renderings[1]!)) expect(ledgerHashes.has(hash)).toBe(false);
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
