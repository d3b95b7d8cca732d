import { describe, expect, it } from "vitest";
import { ByteBoundedCache } from "./byte-bounded-cache.js";

describe("a cache bounded in bytes", () => {
  it("evicts the least recently used entries to stay within its budget, and never keeps an entry larger than it", () => {
    const cache = new ByteBoundedCache<string>(100);
    cache.set("a", "A", 40);
    cache.set("b", "B", 40);
    expect(cache.get("a")).toBe("A"); // a is now the most recent
    cache.set("c", "C", 40);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe("A");
    expect(cache.bytes).toBe(80);
    cache.set("huge", "H", 101);
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.bytes).toBeLessThanOrEqual(100);
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, "v", 7);
    expect(cache.bytes).toBeLessThanOrEqual(100);
    expect(cache.size).toBe(14);
  });
});
