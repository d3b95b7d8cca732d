import { describe, expect, it } from "vitest";
import { AuthzMetrics } from "./metrics.js";

const countOf = (text: string, decision: string, reason: string): number | undefined => {
  const match = new RegExp(`^nexus_authz_decisions_total\\{decision="${decision}",reason="${reason}"\\} (\\d+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
};

describe("decision counts", () => {
  it("every scrape shows each decision counted once, whatever was counted between scrapes", async () => {
    const metrics = new AuthzMetrics();
    for (let i = 0; i < 3; i++) metrics.recordDecision("allow", "api-key", 0.0001);
    metrics.recordDecision("unauthenticated", "no-credential", 0.0001);
    let text = await metrics.registry.metrics();
    expect(countOf(text, "allow", "api-key")).toBe(3);
    expect(countOf(text, "unauthenticated", "no-credential")).toBe(1);
    expect(countOf(text, "forbidden", "not-admitted")).toBeUndefined();

    // Read again with nothing new: the same counts, not counted twice.
    text = await metrics.registry.metrics();
    expect(countOf(text, "allow", "api-key")).toBe(3);

    metrics.recordDecision("allow", "api-key", 0.0001);
    metrics.recordDecision("forbidden", "not-admitted", 0.0001);
    text = await metrics.registry.metrics();
    expect(countOf(text, "allow", "api-key")).toBe(4);
    expect(countOf(text, "unauthenticated", "no-credential")).toBe(1);
    expect(countOf(text, "forbidden", "not-admitted")).toBe(1);
    // The latency histogram saw every decision.
    expect(text).toMatch(/^nexus_authz_decision_duration_seconds_count\{decision="allow"\} 4$/m);

    const json = await metrics.registry.getMetricsAsJSON();
    const decisions = json.find((metric) => metric.name === "nexus_authz_decisions_total")!;
    expect(decisions.values.find((v) => v.labels.decision === "allow")?.value).toBe(4);
  });
});
