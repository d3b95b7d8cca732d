// The gate's Prometheus metrics: decisions by kind and reason, and how long each took.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "../runtime/prometheus.js";
import { DecisionLatencyHistogram } from "./decision-latency.js";

export class AuthzMetrics {
  readonly registry = new Registry();
  readonly decisions = new Counter({
    name: "nexus_authz_decisions_total",
    help: "Credential gate decisions by decision (allow, unauthenticated, forbidden, rate-limited, unavailable) and reason.",
    labelNames: ["decision", "reason"] as const,
    registers: [this.registry],
    collect: () => this.publishDecisionCounts(),
  });
  readonly latency = new DecisionLatencyHistogram(
    "nexus_authz_decision_duration_seconds",
    "Time from receiving a Check to answering it, by decision.",
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    this.registry,
  );
  private counts: (() => { policies: number; keys: number }) | undefined;
  readonly indexed = new Gauge({
    name: "nexus_authz_indexed",
    help: "Gated AccessPolicies and API keys the gate holds in its index.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.counts?.();
      if (!counts) return;
      this.indexed.set({ kind: "policies" }, counts.policies);
      this.indexed.set({ kind: "keys" }, counts.keys);
    },
  });

  private cacheSizes: (() => { tokens: number; keySets: number }) | undefined;
  readonly cacheBytes = new Gauge({
    name: "nexus_authz_cache_bytes",
    help: "Bytes the gate's bounded caches hold (their estimate of what they keep alive), by cache.",
    labelNames: ["cache"] as const,
    registers: [this.registry],
    collect: () => {
      const sizes = this.cacheSizes?.();
      if (!sizes) return;
      this.cacheBytes.set({ cache: "tokens" }, sizes.tokens);
      this.cacheBytes.set({ cache: "key-sets" }, sizes.keySets);
    },
  });

  /**
   * Decisions counted by reason, then kind, as plain numbers, and handed to the counter when
   * it is read (collect): prom-client builds and hashes a label key on every inc, which cost
   * more than the rest of the counting (and a key joined from both would be a new string
   * every Check).
   */
  private readonly decisionCounts = new Map<string, Map<string, { counted: number; published: number }>>();

  /** Counts one decision and observes how long it took. Kinds and reasons are a closed set. */
  recordDecision(kind: string, reason: string, seconds: number): void {
    let byKind = this.decisionCounts.get(reason);
    if (!byKind) this.decisionCounts.set(reason, (byKind = new Map()));
    const count = byKind.get(kind);
    if (count) count.counted++;
    else byKind.set(kind, { counted: 1, published: 0 });
    this.latency.observe(kind, seconds);
  }

  private publishDecisionCounts(): void {
    for (const [reason, byKind] of this.decisionCounts) {
      for (const [kind, count] of byKind) {
        if (count.counted === count.published) continue;
        this.decisions.inc({ decision: kind, reason }, count.counted - count.published);
        count.published = count.counted;
      }
    }
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  countIndexedWith(counts: () => { policies: number; keys: number }): void {
    this.counts = counts;
  }

  measureCachesWith(sizes: () => { tokens: number; keySets: number }): void {
    this.cacheSizes = sizes;
  }
}
