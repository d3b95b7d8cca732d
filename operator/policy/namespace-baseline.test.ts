import { describe, expect, it } from "vitest";
import { contentHashOf } from "../render/content-hash.js";
import { DEFAULT_DENY_NAME, STRICT_MTLS_NAME } from "../render/names.js";
import { renderNamespaceBaseline } from "./namespace-baseline.js";

describe("semantic 1: zero trust by default (namespace baseline)", () => {
  const [authorization, peer] = renderNamespaceBaseline("payments");

  it("renders exactly an AuthorizationPolicy and a PeerAuthentication, sorted by kind", () => {
    expect(renderNamespaceBaseline("payments").map((o) => [o.kind, o.metadata.name])).toEqual([
      ["AuthorizationPolicy", DEFAULT_DENY_NAME],
      ["PeerAuthentication", STRICT_MTLS_NAME],
    ]);
  });

  it("allows nothing: an ALLOW policy with an empty spec, so no selector and no rules", () => {
    expect(authorization?.spec).toEqual({});
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
