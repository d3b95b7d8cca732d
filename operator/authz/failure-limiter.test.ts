import { afterEach, describe, expect, it, vi } from "vitest";
import { RateLimitedFailures } from "./failure-limiter.js";

describe("failures counted in memory", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a spent budget answers the seconds left of its block as they run down; another key keeps its own budget", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2026-12-07T12:00:00Z") });
    const limiter = RateLimitedFailures.inMemory({ failures: 2, windowSeconds: 60, blockSeconds: 10 });
    expect(await limiter.recordFailure("client-a")).toBe(0);
    expect(await limiter.recordFailure("client-a")).toBe(0);
    expect(await limiter.recordFailure("client-a")).toBe(10);
    vi.setSystemTime(Date.parse("2026-12-07T12:00:06.500Z"));
    // 3.5 s of the block left: the limiter's own answer, not the whole block a failing store gets.
    expect(await limiter.recordFailure("client-a")).toBe(4);
    expect(await limiter.recordFailure("client-b")).toBe(0);
  });
});
