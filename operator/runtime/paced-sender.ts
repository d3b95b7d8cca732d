// Sends best-effort writes (Events) in the background, one at a time, at no more than a
// steady rate with a burst allowance, from a bounded queue that drops what does not fit.
// A first sync of thousands of objects must not double the apiserver's work with Events,
// and a reconcile must never wait for one: this is the trade client-go's event broadcaster
// makes too (bounded queue, drop when full).

export interface PacedSenderOptions {
  /** Sends per second once the burst is spent. */
  perSecond: number;
  /** Sends allowed back to back, and the most that wait in the queue. */
  burst: number;
  /** Told of every item dropped because the queue was full. */
  onDropped?: () => void;
  /**
   * Whether the work the items report on is still waiting (a reconcile backlog). While it
   * is, sends come back at YIELDING_SHARE of the rate: in a first sync of 10,000 + 10,000
   * objects the Events were one request in twenty, each costing the apiserver about what a
   * write does, and most were dropped anyway. Sends never stop; at worst they trail the work.
   */
  yieldWhile?: () => boolean;
  now?: () => number;
}

/** The share of the rate left to sends while the work they report on is waiting. */
export const YIELDING_SHARE = 0.1;

export class PacedSender<T> {
  private readonly queue: T[] = [];
  private tokens: number;
  private refilledAt: number;
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly drained: Array<() => void> = [];
  private stopped = false;
  // Aborted by stop(): a send still in flight then gives up instead of outliving its owner.
  private readonly abort = new AbortController();

  constructor(
    private readonly send: (item: T, signal: AbortSignal) => Promise<void>,
    private readonly options: PacedSenderOptions,
  ) {
    if (!(options.perSecond > 0) || !Number.isInteger(options.burst) || options.burst < 1) {
      throw new Error(`PacedSender needs perSecond > 0 and a whole burst >= 1; got ${options.perSecond} and ${options.burst}`);
    }
    this.tokens = options.burst;
    this.refilledAt = this.now();
  }

  /** Queues an item; false when the queue was full and the item was dropped, or after stop(). */
  offer(item: T): boolean {
    if (this.stopped) return false;
    if (this.queue.length >= this.options.burst) {
      this.options.onDropped?.();
      return false;
    }
    this.queue.push(item);
    this.pump();
    return true;
  }

  get pending(): number {
    return this.queue.length + (this.sending ? 1 : 0);
  }

  /**
   * Takes no more items, sends what is queued for at most timeoutMs, then drops the rest,
   * aborts a send still in flight and waits for it to end: once this resolves, the sender
   * runs no timer and no send, so its owner may close what the sends write to.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    await this.flush(timeoutMs);
    this.clear();
    this.abort.abort();
    await this.sending;
  }

  /** Resolves once everything queued has been sent, or after timeoutMs, whichever is first. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => {
      // Referenced: whoever awaits a flush (a stop) keeps the process alive for it.
      const timeout = setTimeout(resolve, timeoutMs);
      this.drained.push(() => {
        clearTimeout(timeout);
        resolve();
      });
    });
  }

  /** Forgets what is queued and stops sending. */
  clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.notifyIfDrained();
  }

  private pump(): void {
    if (this.sending || this.timer || this.queue.length === 0 || this.abort.signal.aborted) return;
    this.refill();
    if (this.tokens < 1) {
      // Timed at the full rate even while yielding: the tokens are counted again when it
      // fires, so a send goes out soon after a backlog clears instead of a slow interval later.
      const waitMs = Math.ceil(((1 - this.tokens) / this.options.perSecond) * 1000);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, waitMs);
      this.timer.unref();
      return;
    }
    this.tokens -= 1;
    const item = this.queue.shift() as T;
    this.sending = this.send(item, this.abort.signal)
      .catch(() => undefined)
      .finally(() => {
        this.sending = undefined;
        this.notifyIfDrained();
        this.pump();
      });
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate());
    this.refilledAt = now;
  }

  // Sends per second now; the time since the last refill (at most one full-rate interval
  // while a send waits) is counted at it.
  private rate(): number {
    return this.options.yieldWhile?.() ? this.options.perSecond * YIELDING_SHARE : this.options.perSecond;
  }

  private notifyIfDrained(): void {
    if (this.pending > 0) return;
    for (const resolve of this.drained.splice(0)) resolve();
  }

  private now(): number {
    return (this.options.now ?? performance.now.bind(performance))();
  }
}
