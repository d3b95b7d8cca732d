import * as PromClient from "prom-client";
import { describe, expect, it } from "vitest";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "./prometheus.js";

describe("prom-client's parts loaded one by one", () => {
  it("are the very classes and function the package's index exports", () => {
    expect(Registry).toBe(PromClient.Registry);
    expect(Counter).toBe(PromClient.Counter);
    expect(Gauge).toBe(PromClient.Gauge);
    expect(Histogram).toBe(PromClient.Histogram);
    expect(collectDefaultMetrics).toBe(PromClient.collectDefaultMetrics);
  });

  it("expose a metric registered with them, and the process metrics", async () => {
    const registry = new Registry();
    new Counter({ name: "parts_test_total", help: "A counter.", registers: [registry] }).inc(3);
    collectDefaultMetrics({ register: registry });
    const text = await registry.metrics();
    expect(text).toContain("parts_test_total 3");
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
  });
});
