// A rate-limited work queue in the style of client-go's: a key is queued at most once,
// processed by at most one worker at a time, and re-queued after the current run when it
// changed meanwhile. Failures are retried with exponential backoff and jitter.
import { Fifo } from "./fifo.js";

export interface WorkQueueObserver {
  added?(queue: string): void;
  retried?(queue: string): void;
  depth?(queue: string, depth: number): void;
  waited?(queue: string, seconds: number): void;
}

export interface WorkQueueOptions {
  name: string;
  concurrency: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  observer?: WorkQueueObserver;
}

export type KeyHandler = (key: string) => Promise<void>;

/**
 * How long the queue keeps taking keys within one turn of the event loop. A key whose
 * handler needs no I/O (a resync that finds nothing to write) finishes in microtasks, and
 * the next one would start in the same turn: thousands in a row held every socket, timer
 * and probe of the process for seconds, and left the apiserver waiting on responses nobody
 * read. Past the slice the queue lets the event loop run before it takes the next key.
 */
const TURN_SLICE_MS = 10;

export class WorkQueue {
  private readonly order = new Fifo<string>();
  /** Keys added with addLowPriority: taken only when `order` is empty. */
  private readonly lowOrder = new Fifo<string>();
  private readonly queued = new Map<string, number>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: Array<() => void> = [];
  private handler: KeyHandler | undefined;
  private running = 0;
  private stopped = false;
  /** When this turn of the event loop began taking keys; undefined once the loop has turned. */
  private sliceStartedAt: number | undefined;
  private nextTurn: NodeJS.Immediate | undefined;

  constructor(private readonly options: WorkQueueOptions) {}

  get depth(): number {
    return this.order.length + this.lowOrder.length;
  }

  add(key: string): void {
    this.enqueue(key, this.order);
  }

  /**
   * Adds the key behind every key added with add(), now or later: it is taken only when no
   * other key waits. For work that reports rather than enforces. A key already queued keeps
   * its place.
   */
  addLowPriority(key: string): void {
    this.enqueue(key, this.lowOrder);
  }

  private enqueue(key: string, lane: Fifo<string>): void {
    if (this.stopped) return;
    // A key already waiting is the common case when one change fans out to many keys: it
    // returns before anything is counted, as client-go's queue does (adds count new work).
    if (this.queued.has(key)) return;
    if (this.active.has(key)) {
      if (this.dirty.has(key)) return;
      this.dirty.add(key);
      this.options.observer?.added?.(this.options.name);
      return;
    }
    this.options.observer?.added?.(this.options.name);
    this.queued.set(key, Date.now());
    lane.push(key);
    this.reportDepth();
    this.pump();
  }

  /** Adds the key after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const pending = this.delayed.get(key);
    if (pending) return;
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, timer);
  }

  /** Schedules a retry with exponential backoff and full jitter. */
  retry(key: string): number {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempt);
    const base = this.options.baseDelayMs ?? 10;
    const max = this.options.maxDelayMs ?? 300_000;
    const ceiling = Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.options.observer?.retried?.(this.options.name);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of a key after it succeeded. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  start(handler: KeyHandler): void {
    this.handler = handler;
    this.pump();
  }

  /** Resolves once nothing is queued or running (delayed retries do not count). */
  idle(): Promise<void> {
    if (this.depth === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.nextTurn) clearImmediate(this.nextTurn);
    this.nextTurn = undefined;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.order.clear();
    this.lowOrder.clear();
    this.queued.clear();
    this.reportDepth();
    await this.idle();
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) return;
    while (this.running < this.options.concurrency && this.depth > 0) {
      if (this.sliceSpent()) break;
      const key = this.order.take() ?? this.lowOrder.take();
      if (key === undefined) break;
      const enqueuedAt = this.queued.get(key) ?? Date.now();
      this.queued.delete(key);
      this.reportDepth();
      this.options.observer?.waited?.(this.options.name, (Date.now() - enqueuedAt) / 1000);
      this.active.add(key);
      this.running++;
      void this.run(handler, key);
    }
    if (this.depth === 0 && this.running === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /**
   * Whether this turn's slice is used up; the first key of a turn starts the slice and asks
   * for the next turn, which ends it and takes whatever is still waiting.
   */
  private sliceSpent(): boolean {
    const now = performance.now();
    if (this.sliceStartedAt === undefined) {
      this.sliceStartedAt = now;
      this.nextTurn = setImmediate(() => {
        this.nextTurn = undefined;
        this.sliceStartedAt = undefined;
        if (!this.stopped) this.pump();
      });
      return false;
    }
    return now - this.sliceStartedAt > TURN_SLICE_MS;
  }

  private async run(handler: KeyHandler, key: string): Promise<void> {
    try {
      await handler(key);
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  private reportDepth(): void {
    this.options.observer?.depth?.(this.options.name, this.depth);
  }
}
