import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { canonicalDigest, canonicalJson, keepDigestsWith } from "./hash.js";

// What canonicalJson promised before it wrote JSON directly: JSON.stringify of a copy with
// keys sorted at every depth. Hashes already recorded in status depend on it staying so.
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .filter((k) => record[k] !== undefined)
        .map((k) => [k, sortedCopy(record[k])]),
    );
  }
  return value;
}

describe("canonicalJson", () => {
  it("gives the same text whatever order the keys were set in", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: "x" } })).toBe('{"a":{"c":"x","d":[2,{"e":0,"f":1}]},"b":1}');
    expect(canonicalJson({ a: { c: "x", d: [2, { e: 0, f: 1 }] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: "x" } }));
  });

  it("leaves undefined members out and writes undefined array items as null, as JSON does", () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
    expect(canonicalJson(undefined)).toBeUndefined();
  });

  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.constant(undefined)),
    node: fc.oneof({ depthSize: "small" }, tie("leaf"), fc.array(tie("node"), { maxLength: 4 }), fc.array(fc.string(), { maxLength: 6 }), fc.dictionary(fc.string(), tie("node"), { maxKeys: 5 })),
  })).node;

  it("matches JSON.stringify of a key-sorted copy for any JSON value", () => {
    fc.assert(fc.property(value, (v) => canonicalJson(v) === JSON.stringify(sortedCopy(v))), { numRuns: 2000 });
  });

  it("gives the same text and digest for an object built in key order (the engine's serialisation) as for one that is not", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (v) => {
        const ordered = sortedCopy(v);
        expect(canonicalJson(ordered)).toBe(canonicalJson(v));
        expect(canonicalDigest(ordered)).toBe(canonicalDigest(v));
      }),
      { numRuns: 1000, examples: [[{ b: [1, null], a: { "10": 1, "9": 2, x: -0 } }], [{ z: { toJSON: "kept" }, y: [[], {}] }]] },
    );
    const holes = [1, , 3];
    expect(canonicalJson({ a: holes })).toBe('{"a":[1,null,3]}');
    expect(canonicalJson({ a: new Date(0) })).toBe('{"a":{}}');
  });

  it("digests exactly the canonical text, fed in pieces (hashes in status stay what they were)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(value), fc.dictionary(fc.string(), value)), (v) => canonicalDigest(v) === createHash("sha256").update(canonicalJson(v)).digest("hex")),
      { numRuns: 1000 },
    );
  });

  it("digests a long list shared by several members as its text, also after the list grew", () => {
    const tenant = Array.from({ length: 70 }, (_, i) => `cluster.local/ns/t\u00e9am/sa/engine-${i}${i === 3 ? "\ud800" : ""}`);
    const spec = { rules: [{ from: [{ source: { principals: tenant } }] }, { from: [{ source: { principals: tenant } }], to: [{ paths: tenant }] }] };
    const expected = () => createHash("sha256").update(canonicalJson(spec)).digest("hex");
    expect(canonicalDigest(spec)).toBe(expected());
    expect(canonicalDigest(spec)).toBe(expected());
    tenant.push("cluster.local/ns/late/sa/engine");
    expect(canonicalDigest(spec)).toBe(expected());
    expect(canonicalJson(spec)).toBe(JSON.stringify(sortedCopy(spec)));
  });

  it("keeps digests of values around a shared long list apart by everything around the list", () => {
    const piece = Array.from({ length: 80 }, (_, i) => `cluster.local/ns/tenant-${i % 7}/sa/member-${i}`);
    keepDigestsWith(piece);
    const sha256 = (v: unknown) => createHash("sha256").update(canonicalJson(v)).digest("hex");
    // A digest kept, then values that differ only around the list: in a neighbour's text,
    // in where the list stands, in a NUL character's place.
    for (let use = 0; use < 2; use++) expect(canonicalDigest({ spec: { principals: piece }, labels: { policy: "a" } })).toBe(sha256({ spec: { principals: piece }, labels: { policy: "a" } }));
    const around = [
      { spec: { principals: piece }, labels: { policy: "b" } },
      { spec: { principals: piece, paths: ["/a"] }, labels: { policy: "a" } },
      { spec: { notPrincipals: piece }, labels: { policy: "a" } },
      { spec: [piece], labels: { policy: "a" } },
      { spec: { principals: piece }, labels: { policy: "a\u0000" } },
      { spec: { principals: piece }, labels: { "policy\u0000": "a" } },
    ];
    const digests = new Set<string>();
    for (const value of around) {
      for (let use = 0; use < 2; use++) expect(canonicalDigest(value)).toBe(sha256(value));
      digests.add(canonicalDigest(value));
    }
    expect(digests.size).toBe(around.length);
    // The same text around an equal list that is another array is digested alike.
    expect(canonicalDigest({ spec: { principals: [...piece] }, labels: { policy: "b" } })).toBe(sha256(around[0]));
  });

  it("digests any value around a list that keeps its digests as its canonical text", () => {
    const list = Array.from({ length: 64 }, (_, i) => `p-${i}`);
    keepDigestsWith(list);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 4 }), fc.string(), (v, key) => {
        const holding = { ...v, [key]: list };
        return canonicalDigest(holding) === createHash("sha256").update(canonicalJson(holding)).digest("hex");
      }),
      { numRuns: 1000 },
    );
  });
});
