// How long the gate took to answer, by decision kind: a Prometheus histogram counted in typed
// arrays and turned into prom-client's exposition only when scraped. prom-client's own
// Histogram checks and hashes the labels of every observation; at the gate's rates that was
// about as much CPU per Check as writing its audit record (a CPU profile at 2,000 Checks/s).
// The exposition is the same text prom-client's Histogram gives (decision-latency.test.ts).
import type { Registry } from "prom-client";

interface Series {
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  counts: Float64Array;
  sum: number;
}

interface ExposedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
  /** prom-client's buckets carry null here when exemplars are off. */
  exemplar?: null;
}

export class DecisionLatencyHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending. */
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${name}: bucket bounds must ascend (${bounds.join(", ")})`);
    // prom-client's registry takes any object with its Metric's shape (name, get, reset).
    registry.registerMetric(this as never);
  }

  observe(decision: string, seconds: number): void {
    let series = this.series.get(decision);
    if (!series) this.series.set(decision, (series = { counts: new Float64Array(this.bounds.length + 1), sum: 0 }));
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += seconds;
  }

  /** prom-client's exposition of a histogram: cumulative buckets, +Inf, sum and count per decision. */
  async get(): Promise<{ name: string; help: string; type: "histogram"; aggregator: "sum"; values: ExposedValue[] }> {
    const values: ExposedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const [decision, { counts, sum }] of this.series) {
      let below = 0;
      this.bounds.forEach((bound, i) => {
        below += counts[i]!;
        values.push({ labels: { le: bound, decision }, value: below, metricName: bucketName, exemplar: null });
      });
      const count = below + counts[this.bounds.length]!;
      values.push({ labels: { le: "+Inf", decision }, value: count, metricName: bucketName, exemplar: null });
      values.push({ labels: { decision }, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: { decision }, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
