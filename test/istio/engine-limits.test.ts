// The real RBAC engine on its own: what grpc-go does with istiod's proxyless gRPC output
// for hand-written cases, including where it differs from an Envoy sidecar. The
// differential test leaves those cases out; this file shows they are what it says.
import { describe, expect, it } from "vitest";
import { evaluateRequest } from "../../operator/evaluate/index.js";
import { ISTIO_DRY_RUN_ANNOTATION, NO_CALLER_PRINCIPAL, renderNamespaceBaseline } from "../../operator/policy/index.js";
import type { AuthorizationPolicyObject } from "../../operator/evaluate/authorization-policy.js";
import type { EngineCall } from "../support/istio-judge.js";
import { useIstioJudge } from "./judge-hooks.js";
import { ENGINE_PORTS } from "./engine-domain.js";

const NS = "shop";
const BACKEND = { namespace: NS, labels: { app: "backend" } };
const FRONTEND = "cluster.local/ns/shop/sa/frontend";
const STRANGER = "cluster.local/ns/other/sa/stranger";

const policy = (name: string, spec: object, annotations?: Record<string, string>): AuthorizationPolicyObject => ({
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
  spec: { selector: { matchLabels: { app: "backend" } }, ...spec },
});
const call = (principal: string, path = "/shop.Items/List", port = 8080): EngineCall => ({ principal, workload: BACKEND, path, port });
const baseline = renderNamespaceBaseline(NS).filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[];

const judge = useIstioJudge();

describe("grpc-go enforcing istiod's output over mTLS", () => {
  it("allows by principal, path and port, and denies with a message naming the deny policy", async () => {
    const policies = [
      ...baseline,
      policy("frontend-reads", { rules: [{ from: [{ source: { principals: [FRONTEND] } }], to: [{ operation: { paths: ["/shop.Items/*"], ports: ["8080"] } }] }] }),
      policy("no-strangers", { action: "DENY", rules: [{ from: [{ source: { namespaces: ["other"] } }] }] }),
    ];
    const verdicts = await judge.enforce(policies, [call(FRONTEND), call(FRONTEND, "/shop.Admin/Drop"), call(FRONTEND, "/shop.Items/List", 9090), call(STRANGER)], ENGINE_PORTS);
    expect(verdicts.map((v) => v.allowed)).toEqual([true, false, false, false]);
    expect(verdicts[1]!.message).toContain("incoming RPC did not match an allow policy");
    expect(verdicts[3]!.message).toContain('incoming RPC matched a deny policy "shop-no-strangers-0"');
  });

  it("proxyless baseline closed: the namespace baseline alone denies every caller, istiod's gRPC generator keeps its one rule", async () => {
    const verdicts = await judge.enforce(baseline, [call(FRONTEND), call(STRANGER), call("partner.example/ns/shop/sa/frontend")], ENGINE_PORTS);
    expect(verdicts.map((v) => v.allowed)).toEqual([false, false, false]);
    // Denied by an ALLOW filter that matched nothing: the generator sent the baseline's rule.
    for (const verdict of verdicts) expect(verdict.message).toContain("incoming RPC did not match an allow policy");
    for (const principal of [FRONTEND, STRANGER]) {
      expect(evaluateRequest(baseline, { source: { principal }, workload: BACKEND, operation: { method: "POST", path: "/shop.Items/List", port: 8080 } }).allowed).toBe(false);
    }
  });

  it("the baseline's rule is a real principal match: only a certificate carrying the reserved no-caller principal would pass", async () => {
    // No SVID the operator issues carries it (the operator refuses a --trust-domain under .invalid);
    // the judge's own CA can mint it, which shows the rule is enforced, not dropped or match-never.
    const [verdict] = await judge.enforce(baseline, [call(NO_CALLER_PRINCIPAL)], ENGINE_PORTS);
    expect(verdict!.allowed).toBe(true);
  });

  it("LIMIT: an ALLOW policy without rules (the baseline `spec: {}` before 2026-12-04) is dropped by istiod's gRPC generator, so the engine allows what a sidecar denies", async () => {
    const ruleless = baseline.map((p) => ({ ...p, spec: {} }));
    const [verdict] = await judge.enforce(ruleless, [call(FRONTEND)], ENGINE_PORTS);
    expect(verdict!.allowed).toBe(true);
    // The evaluator (like an Envoy sidecar, see translation.test.ts: one never-matching policy) denies.
    expect(evaluateRequest(ruleless, { source: { principal: FRONTEND }, workload: BACKEND, operation: { method: "POST", path: "/shop.Items/List", port: 8080 } }).allowed).toBe(false);
  });

  it("LIMIT: istiod's gRPC generator ignores the dry-run annotation and enforces the policy", async () => {
    const dryRunDeny = policy("dry-run-deny", { action: "DENY", rules: [{ from: [{ source: { principals: [FRONTEND] } }] }] }, { [ISTIO_DRY_RUN_ANNOTATION]: "true" });
    const [verdict] = await judge.enforce([dryRunDeny], [call(FRONTEND)], ENGINE_PORTS);
    expect(verdict!.allowed).toBe(false);
    expect(verdict!.message).toContain('incoming RPC matched a deny policy "shop-dry-run-deny-0"');
    expect(evaluateRequest([dryRunDeny], { source: { principal: FRONTEND }, workload: BACKEND, operation: { method: "POST", path: "/shop.Items/List", port: 8080 } }).allowed).toBe(true);
  });

  it("refuses calls the engine cannot make, naming the field", async () => {
    await expect(judge.enforce([], [call(FRONTEND, "/health")], ENGINE_PORTS)).rejects.toThrow(/path "\/health" is not a gRPC path/);
    await expect(judge.enforce([], [call(FRONTEND, "/a/b", 7000)], ENGINE_PORTS)).rejects.toThrow(/port 7000 is not one of the ports \[8080 9090\]/);
  });
});
