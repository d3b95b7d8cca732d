import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSortedUnique, mergeSortedUnique, sortedUnique } from "./sorted.js";

describe("merging sorted principal lists", () => {
  it("gives what sorting the concatenation gives, repeats and all", () => {
    const text = fc.string({ unit: fc.constantFrom(..."abAB/-.\u00e9\u{1F600}".split("")), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 30 }), fc.array(text, { maxLength: 30 }), (a, b) => {
        const x = sortedUnique(a);
        const y = sortedUnique(b);
        const merged = mergeSortedUnique(x, y);
        expect(merged).toEqual(sortedUnique([...a, ...b]));
        expect(isSortedUnique(merged)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("returns the list itself when the other adds nothing to it, so a tenant's list stays shared", () => {
    const tenant = ["a", "b", "c", "d"];
    expect(mergeSortedUnique(["b", "d"], tenant)).toBe(tenant);
    expect(mergeSortedUnique(tenant, ["a"])).toBe(tenant);
    expect(mergeSortedUnique(tenant, [])).toBe(tenant);
    const widened = mergeSortedUnique(tenant, ["bb"]);
    expect(widened).not.toBe(tenant);
    expect(widened).toEqual(["a", "b", "bb", "c", "d"]);
    expect(tenant).toEqual(["a", "b", "c", "d"]);
  });

  it("tells a list with a repeat or a step back from a sorted one", () => {
    expect(isSortedUnique(["a", "b", "c"])).toBe(true);
    expect(isSortedUnique(["a", "a"])).toBe(false);
    expect(isSortedUnique(["b", "a"])).toBe(false);
    expect(isSortedUnique([])).toBe(true);
  });
});
