// Prometheus metrics under the names controller-runtime users already chart and alert on,
// plus the NEXUS gauges. One registry per operator instance so tests can run several.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "./prometheus.js";
import type { WorkQueueObserver } from "./workqueue.js";

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller and result.",
    labelNames: ["controller", "result"] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller.",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller.",
    labelNames: ["controller"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of the work queue.",
    labelNames: ["name"] as const,
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by the work queue.",
    labelNames: ["name"] as const,
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by the work queue.",
    labelNames: ["name"] as const,
    registers: [this.registry],
  });
  readonly queueDuration = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long an item stays in the work queue before being processed.",
    labelNames: ["name"] as const,
    buckets: [0.0001, 0.001, 0.01, 0.1, 1, 10, 100],
    registers: [this.registry],
  });
  readonly certificateExpiry = new Gauge({
    name: "nexus_identity_certificate_expiry_timestamp_seconds",
    help: "Expiry (notAfter) of an EngineIdentity's current certificate, as a Unix time.",
    labelNames: ["namespace", "name"] as const,
    registers: [this.registry],
  });
  readonly unresolvedSources = new Gauge({
    name: "nexus_policy_unresolved_sources",
    help: "Sources of an AccessPolicy left out because they resolve to nothing or are not allowed (no series while none is).",
    labelNames: ["namespace", "name"] as const,
    registers: [this.registry],
  });
  readonly statusWriteFailures = new Counter({
    name: "nexus_status_write_failures_total",
    help: "Status writes the apiserver refused or did not answer, by kind and reason (TooLarge, Rejected, Forbidden, WriteFailed).",
    labelNames: ["kind", "reason"] as const,
    registers: [this.registry],
  });
  readonly eventsDropped = new Counter({
    name: "nexus_events_dropped_total",
    help: "Kubernetes Events not sent because more were recorded than the event rate limit lets through.",
    registers: [this.registry],
  });
  private pendingEvents: (() => number) | undefined;
  readonly eventsPending = new Gauge({
    name: "nexus_events_pending",
    help: "Kubernetes Events queued or being sent (read at scrape time).",
    registers: [this.registry],
    collect: () => {
      this.eventsPending.set(this.pendingEvents?.() ?? 0);
    },
  });
  private renderedCounts: (() => Record<string, number>) | undefined;
  readonly renderedObjects = new Gauge({
    name: "nexus_rendered_objects",
    help: "Objects the operator currently renders, by kind (read from its caches at scrape time).",
    labelNames: ["kind"] as const,
    registers: [this.registry],
    collect: () => {
      for (const [kind, count] of Object.entries(this.renderedCounts?.() ?? {})) this.renderedObjects.set({ kind }, count);
    },
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Where nexus_rendered_objects reads its counts from when scraped. */
  countRenderedWith(counts: () => Record<string, number>): void {
    this.renderedCounts = counts;
  }

  /** Where nexus_events_pending reads the Event queue's length from when scraped. */
  countPendingEventsWith(pending: () => number): void {
    this.pendingEvents = pending;
  }

  queueObserver(): WorkQueueObserver {
    return {
      added: (name) => this.queueAdds.inc({ name }),
      retried: (name) => this.queueRetries.inc({ name }),
      depth: (name, depth) => this.queueDepth.set({ name }, depth),
      waited: (name, seconds) => this.queueDuration.observe({ name }, seconds),
    };
  }
}
