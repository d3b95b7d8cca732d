import { describe, expect, it } from "vitest";
import { WorkQueue } from "./workqueue.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("WorkQueue", () => {
  it("processes a key added many times before it runs only once", async () => {
    const queue = new WorkQueue({ name: "t", concurrency: 2 });
    const seen: string[] = [];
    queue.add("a");
    queue.add("a");
    queue.add("b");
    queue.add("a");
    queue.start(async (key) => void seen.push(key));
    await queue.idle();
    expect(seen).toEqual(["a", "b"]);
  });

  it("never runs the same key twice at once and runs it again when it changed meanwhile", async () => {
    const queue = new WorkQueue({ name: "t", concurrency: 4 });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    queue.start(async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await gate.promise;
      running--;
    });
    queue.add("a");
    await new Promise((r) => setImmediate(r));
    queue.add("a");
    queue.add("a");
    gate.resolve();
    await queue.idle();
    await queue.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it("bounds concurrency across keys", async () => {
    const queue = new WorkQueue({ name: "t", concurrency: 3 });
    let running = 0;
    let maxRunning = 0;
    queue.start(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setImmediate(r));
      running--;
    });
    for (let i = 0; i < 20; i++) queue.add(`k${i}`);
    await queue.idle();
    expect(maxRunning).toBe(3);
  });

  it("backs off exponentially with jitter and resets after forget", () => {
    const queue = new WorkQueue({ name: "t", concurrency: 1, baseDelayMs: 100, maxDelayMs: 1_000 });
    const delays = [1, 2, 3, 4, 5, 6].map(() => queue.retry("k"));
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[3]).toBeGreaterThanOrEqual(400);
    expect(delays[3]).toBeLessThanOrEqual(800);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
    expect(queue.failuresOf("k")).toBe(6);
    queue.forget("k");
    expect(queue.failuresOf("k")).toBe(0);
    void queue.shutdown();
  });

  it("runs a retried key again after its delay", async () => {
    const queue = new WorkQueue({ name: "t", concurrency: 1, baseDelayMs: 5, maxDelayMs: 5 });
    let runs = 0;
    const done = deferred();
    queue.start(async (key) => {
      runs++;
      if (runs === 1) queue.retry(key);
      else done.resolve();
    });
    queue.add("k");
    await done.promise;
    expect(runs).toBe(2);
  });

  it("reports adds, depth and retries to its observer", async () => {
    const events: string[] = [];
    const queue = new WorkQueue({
      name: "t",
      concurrency: 1,
      observer: { added: () => events.push("add"), retried: () => events.push("retry"), depth: (_n, d) => events.push(`depth:${d}`) },
    });
    queue.add("a");
    queue.retry("a");
    expect(events).toEqual(["add", "depth:1", "retry"]);
    await queue.shutdown();
  });

  it("counts an add only when it brings new work: a key already waiting, or already due again, is not counted twice", async () => {
    let adds = 0;
    const queue = new WorkQueue({ name: "t", concurrency: 1, observer: { added: () => adds++ } });
    queue.add("a");
    queue.add("a");
    queue.addLowPriority("a");
    expect(adds).toBe(1);
    const gate = deferred();
    const started = deferred();
    let runs = 0;
    queue.start(async () => {
      runs++;
      if (runs === 1) {
        started.resolve();
        await gate.promise;
      }
    });
    await started.promise;
    queue.add("a"); // running: due once more after this run
    queue.add("a");
    expect(adds).toBe(2);
    gate.resolve();
    await queue.idle();
    await queue.idle();
    expect(runs).toBe(2);
  });

  it("keeps first-in-first-out order over tens of thousands of keys", async () => {
    const queue = new WorkQueue({ name: "t", concurrency: 1 });
    const keys = Array.from({ length: 30_000 }, (_, i) => `k${i}`);
    keys.forEach((key) => queue.add(key));
    const seen: string[] = [];
    queue.start(async (key) => void seen.push(key));
    await queue.idle();
    expect(seen).toEqual(keys);
  });

  it("lets the event loop turn while it works through keys that need no I/O", async () => {
    const queue = new WorkQueue({ name: "t", concurrency: 4 });
    const total = 20_000;
    for (let i = 0; i < total; i++) queue.add(`k${i}`);
    let processed = 0;
    // Each key costs a little CPU and no I/O, as a resync that finds nothing to write does.
    const spin = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    queue.start(async () => {
      spin(0.02);
      processed++;
    });
    const processedWhenTimerRan = await new Promise<number>((resolve) => setTimeout(() => resolve(processed), 0));
    await queue.idle();
    expect(processed).toBe(total);
    expect(processedWhenTimerRan).toBeGreaterThan(0);
    expect(processedWhenTimerRan).toBeLessThan(total / 2);
  });

  it("takes nothing more once shut down, though a turn of the event loop was pending", async () => {
    const queue = new WorkQueue({ name: "t", concurrency: 1 });
    for (let i = 0; i < 5_000; i++) queue.add(`k${i}`);
    let processed = 0;
    queue.start(async () => {
      const until = performance.now() + 0.05;
      while (performance.now() < until);
      processed++;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await queue.shutdown();
    const atShutdown = processed;
    expect(atShutdown).toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(processed).toBe(atShutdown);
  });
});
