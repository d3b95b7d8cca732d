// Istio accepts everything the renderer writes: each AuthorizationPolicy, PeerAuthentication
// and RequestAuthentication of the examples, of 300 random scenarios and of the benchmark's
// workload passes istiod's own admission validation (the schema's ValidateConfig, with
// unknown fields refused) with no error, and with no warning but one, named below with the
// reason it is right.
import { describe, expect, it } from "vitest";
import { expectedWarnings } from "./istio-warnings.js";
import { useIstioJudge } from "./judge-hooks.js";
import { benchWorld, examplesWorld, scenarioWorld, scenarioWorlds, type RenderedWorld } from "./rendered-corpus.js";

const judge = useIstioJudge();

const objectName = (v: { kind?: string; namespace: string; name: string }) => `${v.kind} ${v.namespace}/${v.name}`;

async function validateWorlds(worlds: RenderedWorld[]): Promise<{ checked: number; kinds: Set<string>; tcpDenyWarnings: number }> {
  let checked = 0;
  let tcpDenyWarnings = 0;
  const kinds = new Set<string>();
  for (const world of worlds) {
    const results = await judge.validate(world.objects);
    expect(results).toHaveLength(world.objects.length);
    const errors = results.flatMap((v) => v.errors.map((e) => `${objectName(v)}: ${e}`));
    expect(errors, `${world.name}: istiod's validation errors`).toEqual([]);
    const warnings = results.map((v) => ({ object: objectName(v), warnings: v.warnings }));
    const expected = world.objects.map((o) => ({ object: objectName({ kind: o.kind, ...o.metadata }), warnings: expectedWarnings(o) }));
    expect(warnings, `${world.name}: istiod's validation warnings`).toEqual(expected);
    checked += results.length;
    tcpDenyWarnings += results.filter((v) => v.warnings.length > 0).length;
    for (const v of results) kinds.add(v.kind);
  }
  return { checked, kinds, tcpDenyWarnings };
}

describe("istiod's admission validation of what the renderer writes", () => {
  it("accepts every object rendered for examples/, warning only of the Deny of writes on TCP", async () => {
    const { checked, kinds, tcpDenyWarnings } = await validateWorlds([await examplesWorld()]);
    expect(checked).toBeGreaterThan(5);
    expect(tcpDenyWarnings).toBe(1); // payments/nexus-no-writes-from-sandbox: methods, no ports
    expect([...kinds].sort()).toEqual(["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"]);
  });

  it("accepts every object rendered for 300 random scenarios, warning only of HTTP-only Deny rules on TCP", async () => {
    const { checked, kinds, tcpDenyWarnings } = await validateWorlds(scenarioWorlds(300));
    expect(checked).toBeGreaterThan(1000);
    expect(tcpDenyWarnings).toBeGreaterThan(0);
    expect([...kinds].sort()).toEqual(["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"]);
  });

  it("accepts every object rendered for the benchmark's workload, without warnings", async () => {
    const { checked } = await validateWorlds([benchWorld()]);
    expect(checked).toBeGreaterThan(150);
  });

  it("accepts a dry-run Audit policy: rendered without Istio's dry-run annotation, which istiod refuses on AUDIT", async () => {
    const world = scenarioWorld("dry-run audit", {
      trustDomain: "cluster.local",
      identities: [{ namespace: "ns-a", name: "api", serviceAccount: "api", workloadSelector: { app: "api" } }],
      policies: [
        {
          apiVersion: "security.nexus.io/v1alpha1",
          kind: "AccessPolicy",
          metadata: { name: "watch", namespace: "ns-a", generation: 1 },
          spec: { targetIdentity: "api", action: "Audit", dryRun: true, rules: [{ from: [{ namespace: "ns-b" }] }] },
        },
      ],
    });
    const audit = world.objects.find((o) => o.metadata.name === "nexus-watch")!;
    expect(audit.spec).toMatchObject({ action: "AUDIT" });
    expect(audit.metadata.annotations?.["istio.io/dry-run"]).toBeUndefined();
    await validateWorlds([world]);
  });

  it("refuses what istiod refuses, naming the field: the judge is not a rubber stamp", async () => {
    const policy = (name: string, spec: object) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace: "ns-a" }, spec });
    const [denyWithoutRules, emptyOperation, unknownField, badPort, fine] = await judge.validate([
      policy("deny-without-rules", { action: "DENY" }),
      policy("empty-operation", { rules: [{ to: [{ operation: {} }] }] }),
      policy("unknown-field", { rules: [{ from: [{ source: { principal: ["x"] } }] }] }),
      policy("bad-port", { rules: [{ to: [{ operation: { ports: ["http"] } }] }] }),
      policy("fine", { rules: [{ from: [{ source: { namespaces: ["ns-b"] } }] }] }),
    ]);
    expect(denyWithoutRules!.errors.join("\n")).toMatch(/DENY action without `rules` is meaningless/);
    expect(emptyOperation!.errors.join("\n")).toMatch(/`to.operation` must not be empty/);
    expect(unknownField!.errors.join("\n")).toMatch(/unknown field "principal"/);
    expect(badPort!.errors.join("\n")).toMatch(/http/);
    expect(fine).toEqual({ kind: "AuthorizationPolicy", namespace: "ns-a", name: "fine", errors: [], warnings: [] });
  });
});
