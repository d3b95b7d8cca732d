import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DecisionLatencyHistogram } from "./decision-latency.js";

const BOUNDS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];
const NAME = "nexus_authz_decision_duration_seconds";
const HELP = "Time from receiving a Check to answering it, by decision.";

describe("DecisionLatencyHistogram", () => {
  it("exposes the same text and JSON as prom-client's Histogram for the same observations, bounds included", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new DecisionLatencyHistogram(NAME, HELP, BOUNDS, ours);
    const reference = new Histogram({ name: NAME, help: HELP, labelNames: ["decision"], buckets: BOUNDS, registers: [theirs] });
    const kinds = ["allow", "forbidden", "unauthenticated"];
    // Every bound exactly, just above and below it, past the last bound, and zero.
    const values = [0, ...BOUNDS.flatMap((b) => [b, b * 0.999, b * 1.001]), 0.75, 3];
    values.forEach((seconds, i) => {
      const kind = kinds[i % kinds.length]!;
      histogram.observe(kind, seconds);
      reference.labels(kind).observe(seconds);
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await ours.metrics()).toContain(`${NAME}_bucket{le="+Inf",decision="allow"} ${values.filter((_, i) => i % 3 === 0).length}`);
  });

  it("forgets every observation on reset, as the registry's resetMetrics asks", async () => {
    const registry = new Registry();
    const histogram = new DecisionLatencyHistogram(NAME, HELP, BOUNDS, registry);
    histogram.observe("allow", 0.001);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain("decision=");
  });

  it("refuses bounds that do not ascend, naming the metric", () => {
    expect(() => new DecisionLatencyHistogram(NAME, HELP, [0.1, 0.1], new Registry())).toThrow(/nexus_authz_decision_duration_seconds: bucket bounds must ascend/);
  });
});
