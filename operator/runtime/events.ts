// Kubernetes Events for what the operator changed or could not do. An Event repeated with
// the same reason and message for the same object is sent once, so a retry loop cannot
// flood the namespace. Events go out in the background at a bounded rate (PacedSender):
// recording one never holds up a reconcile, and a first sync of thousands of objects sends
// a burst of them, then a trickle (slower while reconciles wait in the queues), and drops
// the rest (counted in a metric).
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { KubeClient, KubeObject } from "./kube-client.js";
import { PacedSender } from "./paced-sender.js";

export type EventType = "Normal" | "Warning";

export interface EventRateLimit {
  perSecond: number;
  burst: number;
}

export const DEFAULT_EVENT_RATE_LIMIT: EventRateLimit = { perSecond: 10, burst: 50 };

interface PendingEvent {
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string | undefined; uid: string | undefined; resourceVersion: string | undefined };
  type: EventType;
  reason: string;
  message: string;
  /** When it happened, which is when it was recorded rather than sent. */
  at: string;
}

export class EventRecorder {
  private readonly lastSent = new Map<string, string>();
  private readonly sender: PacedSender<PendingEvent>;
  private droppedSinceLastReport = 0;
  private lastDropReportAt = 0;
  private readonly component: string;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    options: { rateLimit?: EventRateLimit; onDropped?: () => void; component?: string; yieldWhile?: () => boolean } = {},
  ) {
    this.component = options.component ?? "nexus-operator";
    const rateLimit = options.rateLimit ?? DEFAULT_EVENT_RATE_LIMIT;
    this.sender = new PacedSender((pending, signal) => this.send(pending, signal), {
      ...rateLimit,
      ...(options.yieldWhile ? { yieldWhile: options.yieldWhile } : {}),
      onDropped: () => {
        this.droppedSinceLastReport++;
        options.onDropped?.();
      },
    });
  }

  record(object: KubeObject, type: EventType, reason: string, message: string): void {
    const key = `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}/${object.metadata.uid ?? ""}`;
    const fingerprint = `${type}/${reason}/${message}`;
    if (this.lastSent.get(key) === fingerprint) return;
    // The Event itself is built when it is sent: most of a large first sync's are dropped.
    const involvedObject = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
    };
    // Only what was queued counts as sent: a dropped Event may go out when it happens again.
    if (!this.sender.offer({ involvedObject, type, reason, message, at: new Date().toISOString() })) return;
    this.lastSent.set(key, fingerprint);
    if (this.lastSent.size > 50_000) this.lastSent.delete(this.lastSent.keys().next().value as string);
  }

  /** Events queued or being sent. */
  get pending(): number {
    return this.sender.pending;
  }

  /**
   * On shutdown: records nothing more, sends what is queued for at most timeoutMs and ends
   * the send in flight. Once this resolves the recorder neither sends nor logs, so the
   * client and the log stream may be closed.
   */
  async stop(timeoutMs: number): Promise<void> {
    await this.sender.stop(timeoutMs);
    this.reportDropped(0);
  }

  /** One log line per interval, however many Events were dropped in it. */
  private reportDropped(intervalMs: number): void {
    if (this.droppedSinceLastReport === 0 || performance.now() - this.lastDropReportAt < intervalMs) return;
    this.log.info({ dropped: this.droppedSinceLastReport }, "Events dropped: more were recorded than the event rate limit lets through");
    this.droppedSinceLastReport = 0;
    this.lastDropReportAt = performance.now();
  }

  private async send({ involvedObject, type, reason, message, at }: PendingEvent, signal: AbortSignal): Promise<void> {
    this.reportDropped(30_000);
    const namespace = involvedObject.namespace ?? "default";
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${involvedObject.name}.${randomBytes(8).toString("hex")}`, namespace },
      involvedObject,
      type,
      reason,
      message,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    try {
      await this.client.createRaw(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, event, signal);
    } catch (err) {
      // An Event is a courtesy; failing to send one must not fail the reconcile. One cut
      // short by shutdown is not worth a line.
      if (!signal.aborted) this.log.debug({ err: (err as Error).message, reason }, "event not recorded");
    }
  }

  /** Forgets what was sent for an object, e.g. after it was deleted. */
  forget(object: KubeObject): void {
    this.lastSent.delete(`${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}/${object.metadata.uid ?? ""}`);
  }
}
