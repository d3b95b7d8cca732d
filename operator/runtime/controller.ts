// Runs one reconciler from a work queue: per-key dedupe, bounded concurrency, exponential
// backoff on errors, and controller-runtime's metrics. Reconcilers are level-triggered:
// they get a key, read the cache, and never learn which event queued it.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { OperatorMetrics } from "./metrics.js";
import { WorkQueue } from "./workqueue.js";
import { splitKey } from "./object-key.js";

export interface ReconcileResult {
  /** Reconcile this key again after the delay even if nothing changes (e.g. before expiry). */
  requeueAfterMs?: number;
  /** Not an error, but a state worth looking at again soon: retry with backoff, quietly. */
  retryWithBackoff?: boolean;
  /**
   * A key to process after this one at low priority: behind every other key waiting, now or
   * later. For work that may wait for the rest of a burst (a status report after the writes
   * that enforce it).
   */
  followUp?: string;
}

export interface ReconcileContext {
  log: Logger;
}

export interface Reconciler {
  readonly name: string;
  reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult | void>;
}

export interface ControllerOptions {
  concurrency: number;
  metrics: OperatorMetrics;
  log: Logger;
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly log: Logger;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly options: ControllerOptions,
  ) {
    this.log = options.log.child({ controller: reconciler.name });
    this.queue = new WorkQueue({
      name: reconciler.name,
      concurrency: options.concurrency,
      baseDelayMs: 50,
      maxDelayMs: 120_000,
      observer: options.metrics.queueObserver(),
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    this.queue.start((key) => this.process(key));
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  private async process(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const log = this.log.child({ namespace, name, reconcileID: randomUUID() });
    const { metrics } = this.options;
    const started = process.hrtime.bigint();
    try {
      const result = await this.reconciler.reconcile(key, { log });
      if (result?.retryWithBackoff) {
        this.queue.retry(key);
        metrics.reconcileTotal.inc({ controller: this.reconciler.name, result: "requeue" });
        return;
      }
      this.queue.forget(key);
      if (result?.followUp) this.queue.addLowPriority(result.followUp);
      if (result?.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ controller: this.reconciler.name, result: "requeue_after" });
      } else {
        metrics.reconcileTotal.inc({ controller: this.reconciler.name, result: "success" });
      }
    } catch (err) {
      const delay = this.queue.retry(key);
      metrics.reconcileTotal.inc({ controller: this.reconciler.name, result: "error" });
      metrics.reconcileErrors.inc({ controller: this.reconciler.name });
      log.warn({ err: (err as Error).message, retryInMs: delay, attempt: this.queue.failuresOf(key) }, "reconcile failed; retrying with backoff");
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.reconcileTime.observe({ controller: this.reconciler.name }, seconds);
      log.debug({ seconds }, "reconciled");
    }
  }
}
