import { describe, expect, it } from "vitest";
import { contentHashOf } from "../render/content-hash.js";
import { DEFAULT_DENY_NAME, STRICT_MTLS_NAME } from "../render/names.js";
import { evaluateRequest } from "../evaluate/index.js";
import type { AuthorizationPolicyObject } from "../evaluate/authorization-policy.js";
import { renderNamespaceBaseline } from "./namespace-baseline.js";
import { NO_CALLER_PRINCIPAL, NO_CALLER_TRUST_DOMAIN } from "./no-caller.js";

describe("semantic 1: zero trust by default (namespace baseline)", () => {
  const [authorization, peer] = renderNamespaceBaseline("payments");

  it("renders exactly an AuthorizationPolicy and a PeerAuthentication, sorted by kind", () => {
    expect(renderNamespaceBaseline("payments").map((o) => [o.kind, o.metadata.name])).toEqual([
      ["AuthorizationPolicy", DEFAULT_DENY_NAME],
      ["PeerAuthentication", STRICT_MTLS_NAME],
    ]);
  });

  it("allows nothing: an ALLOW policy without selector whose one rule admits only a principal no caller has", () => {
    // Not `spec: {}`: istiod's proxyless gRPC generator drops an ALLOW policy without rules,
    // which left gRPC workloads open. One rule of one L4 attribute is kept by every data plane.
    expect(authorization?.spec).toEqual({ rules: [{ from: [{ source: { principals: [NO_CALLER_PRINCIPAL] } }] }] });
    expect(NO_CALLER_PRINCIPAL).toBe(`${NO_CALLER_TRUST_DOMAIN}/ns/none/sa/none`);
    expect(NO_CALLER_TRUST_DOMAIN.endsWith(".invalid")).toBe(true);
  });

  it("denies every caller of the namespace, of another namespace and of another trust domain", () => {
    const policies = [authorization] as unknown as AuthorizationPolicyObject[];
    const workload = { namespace: "payments", labels: { app: "ledger" } };
    const operation = { method: "GET", path: "/", port: 8080 };
    for (const principal of ["cluster.local/ns/payments/sa/default", "cluster.local/ns/other/sa/x", "partner.example/ns/payments/sa/default", undefined]) {
      expect(evaluateRequest(policies, { source: principal ? { principal } : {}, workload, operation }).allowed, principal).toBe(false);
    }
  });

  it("requires STRICT mTLS for every workload of the namespace (no selector)", () => {
    expect(peer?.spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  it.each([
    ["AuthorizationPolicy", authorization],
    ["PeerAuthentication", peer],
  ])("labels the %s as a managed baseline, in the namespace, without owner", (_kind, object) => {
    expect(object?.apiVersion).toBe("security.istio.io/v1");
    expect(object?.metadata).toEqual({
      annotations: { "security.nexus.io/content-hash": contentHashOf(object!) },
      name: object?.metadata.name,
      namespace: "payments",
      labels: { "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/baseline": "true" },
    });
  });

  it("is byte-identical across calls and differs only by namespace", () => {
    expect(JSON.stringify(renderNamespaceBaseline("a"))).toBe(JSON.stringify(renderNamespaceBaseline("a")));
    expect(JSON.stringify(renderNamespaceBaseline("a")).replaceAll('"a"', '"b"')).toBe(JSON.stringify(renderNamespaceBaseline("b")));
  });
});
