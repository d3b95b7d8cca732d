import { afterEach, describe, expect, it, vi } from "vitest";
import { PacedSender } from "./paced-sender.js";

function harness(options: { perSecond: number; burst: number }) {
  let clock = 0;
  const sent: number[] = [];
  let dropped = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const sender = new PacedSender<number>(
    async (item) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await Promise.resolve();
      sent.push(item);
      inFlight--;
    },
    { ...options, now: () => clock, onDropped: () => dropped++ },
  );
  return {
    sender,
    sent,
    dropped: () => dropped,
    mostInFlight: () => mostInFlight,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("PacedSender", () => {
  it("sends a burst at once, one at a time and in order", async () => {
    const h = harness({ perSecond: 1, burst: 3 });
    for (const i of [1, 2, 3]) expect(h.sender.offer(i)).toBe(true);
    await h.sender.flush(1_000);
    expect(h.sent).toEqual([1, 2, 3]);
    expect(h.mostInFlight()).toBe(1);
  });

  it("drops what does not fit in the queue and counts it", async () => {
    const h = harness({ perSecond: 1, burst: 2 });
    const accepted = [1, 2, 3, 4].map((i) => h.sender.offer(i));
    // The first is already being sent, so two more fit behind it.
    expect(accepted).toEqual([true, true, true, false]);
    expect(h.dropped()).toBe(1);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds back once the burst is spent until the rate allows another send", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const h = harness({ perSecond: 2, burst: 1 });
    h.sender.offer(1);
    await settle();
    h.sender.offer(2);
    await settle();
    h.advance(499);
    await vi.advanceTimersByTimeAsync(499);
    expect(h.sent).toEqual([1]);
    h.advance(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sent).toEqual([1, 2]);
  });

  it("sends at a tenth of the rate while the work it reports on waits, and at the full rate again after", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    let backlog = true;
    const sent: number[] = [];
    const sender = new PacedSender<number>(async (item) => void sent.push(item), { perSecond: 10, burst: 2, yieldWhile: () => backlog, now: () => Date.now() });
    for (const i of [1, 2, 3]) expect(sender.offer(i)).toBe(true);
    await settle();
    expect(sent).toEqual([1, 2]);
    // 10/s would send the third after 100 ms; with a backlog it takes a second.
    await vi.advanceTimersByTimeAsync(950);
    expect(sent).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([1, 2, 3]);
    // Once the backlog is gone the next goes out at the full rate, not a slow interval later.
    backlog = false;
    expect(sender.offer(4)).toBe(true);
    await vi.advanceTimersByTimeAsync(150);
    expect(sent).toEqual([1, 2, 3, 4]);
  });

  it("keeps sending after a send fails", async () => {
    const sent: number[] = [];
    const sender = new PacedSender<number>(
      async (item) => {
        if (item === 1) throw new Error("apiserver said no");
        sent.push(item);
      },
      { perSecond: 100, burst: 5 },
    );
    sender.offer(1);
    sender.offer(2);
    await sender.flush(1_000);
    expect(sent).toEqual([2]);
  });

  it("rejects a rate or burst it cannot honour", () => {
    expect(() => new PacedSender(async () => undefined, { perSecond: 0, burst: 1 })).toThrow(/perSecond > 0/);
    expect(() => new PacedSender(async () => undefined, { perSecond: 1, burst: 0 })).toThrow(/burst >= 1/);
  });

  it("stop() aborts the send in flight, waits for it to end and sends nothing after", async () => {
    const started: number[] = [];
    const ended: number[] = [];
    const sender = new PacedSender<number>(
      (item, signal) =>
        new Promise<void>((resolve) => {
          started.push(item);
          // A send that would hang until aborted, as a request to a stuck apiserver does.
          signal.addEventListener("abort", () => {
            ended.push(item);
            resolve();
          });
        }),
      { perSecond: 1, burst: 5 },
    );
    for (const i of [1, 2, 3]) sender.offer(i);
    await settle();
    expect(started).toEqual([1]);
    await sender.stop(20);
    expect(ended).toEqual([1]);
    expect(sender.pending).toBe(0);
    expect(sender.offer(4)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toEqual([1]);
  });

  it("stop() sends what is queued when it can within the time given", async () => {
    const h = harness({ perSecond: 100, burst: 3 });
    for (const i of [1, 2, 3]) h.sender.offer(i);
    await h.sender.stop(1_000);
    expect(h.sent).toEqual([1, 2, 3]);
  });

  it("stop() clears a timer waiting for the rate, so nothing is sent later", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const h = harness({ perSecond: 1, burst: 1 });
    h.sender.offer(1);
    await settle();
    h.sender.offer(2);
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    const stopped = h.sender.stop(10);
    await vi.advanceTimersByTimeAsync(10);
    await stopped;
    expect(vi.getTimerCount()).toBe(0);
    h.advance(5_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.sent).toEqual([1]);
  });
});
