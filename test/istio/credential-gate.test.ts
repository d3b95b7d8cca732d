// The credential gate as Istio builds it: a CUSTOM AuthorizationPolicy with provider
// nexus-authz (and the ALLOW of the same operations, per api.md "Credential gate") becomes
// the ext_authz filter calling nexus-authz over gRPC, failing closed with 503, when the mesh
// config declares the provider; when it does not, or names a service the mesh lacks,
// istiod turns the CUSTOM rules into a DENY: the gated operations are refused for everyone.
import { describe, expect, it } from "vitest";
import { renderNamespaceBaseline } from "../../operator/policy/index.js";
import type { EnvoyFilter } from "../support/istio-judge.js";
import { useIstioJudge } from "./judge-hooks.js";
import { EXT_AUTHZ_HTTP_FILTER, EXT_AUTHZ_TCP_FILTER, generatedPolicies, namesOf, RBAC_HTTP_FILTER, RBAC_TCP_FILTER, rbacFilters } from "./envoy-rbac.js";
import { DEFAULT_DENY_NAME, gateName, policyObjectName } from "../../operator/render/names.js";

const NAMESPACE = "payments";
const LEDGER = { namespace: NAMESPACE, labels: { app: "ledger" } };
const GATE_SERVICE = "nexus-authz.nexus-system.svc.cluster.local";
const GATE_PORT = 9001;
const GATED_OPERATION = { methods: ["GET", "POST"], paths: ["/v1/entries", "/v1/entries/*"] };

// The gate's pair as api.md's contract states it: a CUSTOM rule for the gated operations,
// and an ALLOW rule for exactly the same operations (the gate decides who).
const policy = (name: string, spec: object) => ({
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: { name, namespace: NAMESPACE },
  spec: { selector: { matchLabels: { app: "ledger" } }, ...spec },
});
const gatePolicies = [
  policy(gateName("ledger-callers"), { action: "CUSTOM", provider: { name: "nexus-authz" }, rules: [{ to: [{ operation: GATED_OPERATION }] }] }),
  policy(policyObjectName("ledger-callers"), { action: "ALLOW", rules: [{ to: [{ operation: GATED_OPERATION }] }] }),
];
const world = [...gatePolicies, ...renderNamespaceBaseline(NAMESPACE)];

/** The mesh config the chart's notes ask for: gRPC ext_authz, no fail-open, 503 when the gate cannot answer. */
const meshConfigWithGate = {
  extensionProviders: [
    { name: "nexus-authz", envoyExtAuthzGrpc: { service: GATE_SERVICE, port: GATE_PORT, failOpen: false, statusOnError: "503" } },
  ],
};
const gateService = [{ hostname: GATE_SERVICE, namespace: "nexus-system" }];

const GATE_RULE = `istio-ext-authz-nexus-authz-ns[${NAMESPACE}]-policy[${gateName("ledger-callers")}]-rule[0]`;

const judge = useIstioJudge();

const configOf = (filters: EnvoyFilter[], name: string) => filters.find((f) => f.name === name)?.config as Record<string, unknown> | undefined;

describe("istiod's translation of the credential gate", () => {
  it("accepts the gate's policies at admission", async () => {
    const results = await judge.validate(gatePolicies);
    expect(results.map((r) => [r.name, r.errors, r.warnings])).toEqual([
      [gateName("ledger-callers"), [], []],
      [policyObjectName("ledger-callers"), [], []],
    ]);
  });

  it("runs the gate first: RBAC marks the gated operations, ext_authz asks nexus-authz over gRPC and fails closed with 503", async () => {
    const { http, tcp } = await judge.translate(world, { workload: LEDGER, meshConfig: meshConfigWithGate, services: gateService });
    expect(http.map((f) => f.name)).toEqual([RBAC_HTTP_FILTER, EXT_AUTHZ_HTTP_FILTER, RBAC_HTTP_FILTER]);
    // The first RBAC filter only marks (shadow rules) which requests the gate must see.
    const [marker, enforcing] = rbacFilters(http, RBAC_HTTP_FILTER);
    expect(marker!.rules).toBeUndefined();
    expect(Object.keys(marker!.shadowRules?.policies ?? {})).toEqual([GATE_RULE]);
    expect(marker!.shadowRulesStatPrefix).toBe("istio_ext_authz_");
    const extAuthz = configOf(http, EXT_AUTHZ_HTTP_FILTER)!;
    expect(extAuthz).toMatchObject({
      grpcService: { envoyGrpc: { clusterName: `outbound|${GATE_PORT}||${GATE_SERVICE}`, authority: GATE_SERVICE } },
      statusOnError: { code: "ServiceUnavailable" },
      transportApiVersion: "V3",
    });
    expect(extAuthz.failureModeAllow ?? false).toBe(false);
    // Only the requests the marker matched go to the gate.
    expect(JSON.stringify(extAuthz.filterEnabledMetadata)).toContain("istio-ext-authz-nexus-authz");
    // Then the ordinary RBAC: the gate's ALLOW of the same operations, and the baseline.
    const enforced = namesOf(generatedPolicies([{ name: RBAC_HTTP_FILTER, config: enforcing as EnvoyFilter["config"] }], RBAC_HTTP_FILTER)) as Record<string, string[]>;
    expect(Object.keys(enforced)).toEqual(["ALLOW"]);
    expect([...enforced.ALLOW!].sort()).toEqual([`ns[${NAMESPACE}]-policy[${DEFAULT_DENY_NAME}]-rule[0]`, `ns[${NAMESPACE}]-policy[${policyObjectName("ledger-callers")}]-rule[0]`].sort());
    // A gRPC provider also guards TCP traffic; the CUSTOM rule has HTTP-only fields, so on TCP it is dropped from the marker.
    expect(tcp.map((f) => f.name)).toEqual([RBAC_TCP_FILTER, EXT_AUTHZ_TCP_FILTER, RBAC_TCP_FILTER]);
    const extAuthzTcp = configOf(tcp, EXT_AUTHZ_TCP_FILTER)!;
    expect(extAuthzTcp.failureModeAllow ?? false).toBe(false);
  });

  for (const [why, options] of [
    ["the mesh config does not declare nexus-authz", { workload: LEDGER, services: gateService }],
    ["the declared nexus-authz names a service the mesh does not have", { workload: LEDGER, meshConfig: meshConfigWithGate }],
  ] as const) {
    it(`fails closed when ${why}: the gated operations are denied to every caller`, async () => {
      const { http, tcp } = await judge.translate(world, options);
      expect(http.map((f) => f.name)).toEqual([RBAC_HTTP_FILTER, RBAC_HTTP_FILTER]);
      expect(http.some((f) => f.name === EXT_AUTHZ_HTTP_FILTER)).toBe(false);
      const [replacement] = rbacFilters(http, RBAC_HTTP_FILTER);
      // istiod keeps the CUSTOM rule's match (the gated operations, from anyone) and denies it.
      expect(replacement!.rules?.action).toBe("DENY");
      const denied = replacement!.rules?.policies ?? {};
      expect(Object.keys(denied)).toEqual([`${GATE_RULE}-deny-due-to-bad-CUSTOM-action`]);
      const deny = JSON.stringify(Object.values(denied)[0]);
      for (const path of ["/v1/entries", "/v1/entries/"]) expect(deny).toContain(JSON.stringify(path));
      expect(deny).toContain('"any":true'); // from anyone
      expect(tcp.some((f) => f.name === EXT_AUTHZ_TCP_FILTER)).toBe(false);
    });
  }
});
