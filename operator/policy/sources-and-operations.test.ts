import { describe, expect, it } from "vitest";
import type { AccessSource, Operation } from "../api/types.js";
import { defaultRenderConfig } from "../config.js";
import type { IstioRule } from "./istio-types.js";
import { authorizationSpec, identity, NAMESPACE, principalOf, render } from "./test-fixtures.js";

const target = identity(NAMESPACE, "ledger");
const billing = identity(NAMESPACE, "billing", { serviceAccount: "billing-sa" });
const audit = identity("audit", "reader", { tenant: "ops" });
const ops = identity("ops", "shell", { tenant: "ops" });
const identities = [target, billing, audit, ops];
const issuer = { issuer: "https://idp.example", jwksUri: "https://idp.example/jwks" };

function rulesFor(sources: AccessSource[], to?: Operation[]): IstioRule[] | undefined {
  const result = render({ targetIdentity: "ledger", authentication: { jwt: [issuer] }, rules: [{ from: sources, ...(to ? { to } : {}) }] }, identities);
  expect(result.unresolved).toEqual([]);
  return authorizationSpec(result).rules;
}

describe("sources resolve to what Istio matches", () => {
  it.each<[string, AccessSource, IstioRule[]]>([
    ["an identity -> the principal of its service account", { identity: { name: "billing" } }, [{ from: [{ source: { principals: [principalOf(NAMESPACE, "billing-sa")] } }] }]],
    ["an identity in another namespace", { identity: { name: "reader", namespace: "audit" } }, [{ from: [{ source: { principals: [principalOf("audit", "reader")] } }] }]],
    ["a tenant -> the principals of all its identities, sorted", { tenant: "ops" }, [{ from: [{ source: { principals: [principalOf("audit", "reader"), principalOf("ops", "shell")] } }] }]],
    ["a namespace -> Istio namespaces", { namespace: "frontend" }, [{ from: [{ source: { namespaces: ["frontend"] } }] }]],
    ["a SPIFFE principal -> the ID without scheme", { principal: "spiffe://partner.example/ns/x/sa/y" }, [{ from: [{ source: { principals: ["partner.example/ns/x/sa/y"] } }] }]],
    ["a jwt caller without subjects -> any subject of the issuer", { jwt: { issuer: issuer.issuer } }, [{ from: [{ source: { requestPrincipals: ["https://idp.example/*"] } }] }]],
    ["a jwt caller with subjects -> one request principal per subject, sorted", { jwt: { issuer: issuer.issuer, subjects: ["bob", "alice", "bob"] } }, [{ from: [{ source: { requestPrincipals: ["https://idp.example/alice", "https://idp.example/bob"] } }] }]],
  ])("%s", (_what, source, expected) => {
    expect(rulesFor([source])).toEqual(expected);
  });

  it("uses the configured trust domain", () => {
    const result = render({ targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "billing" } }] }] }, identities, { ...defaultRenderConfig, trustDomain: "prod.example" });
    expect(authorizationSpec(result).rules).toEqual([{ from: [{ source: { principals: ["prod.example/ns/payments/sa/billing-sa"] } }] }]);
  });

  it("merges the peer sources of a rule into one Istio rule (principals sorted and deduplicated, then namespaces), then one rule per jwt source", () => {
    const rules = rulesFor(
      [
        { jwt: { issuer: issuer.issuer, subjects: ["svc"] } },
        { tenant: "ops" },
        { namespace: "zeta" },
        { identity: { name: "reader", namespace: "audit" } },
        { namespace: "alpha" },
        { jwt: { issuer: issuer.issuer } },
      ],
      [{ methods: ["GET"] }],
    );
    const to = [{ operation: { methods: ["GET"] } }];
    expect(rules).toEqual([
      { from: [{ source: { principals: [principalOf("audit", "reader"), principalOf("ops", "shell")] } }, { source: { namespaces: ["alpha", "zeta"] } }], to },
      { from: [{ source: { requestPrincipals: ["https://idp.example/svc"] } }], to },
      { from: [{ source: { requestPrincipals: ["https://idp.example/*"] } }], to },
    ]);
  });

  it("keeps the rules in spec order", () => {
    const result = render(
      { targetIdentity: "ledger", rules: [{ from: [{ namespace: "b" }] }, { from: [{ namespace: "a" }] }, { from: [{ namespace: "c" }] }] },
      identities,
    );
    expect(authorizationSpec(result).rules?.map((r) => r.from?.[0]?.source.namespaces?.[0])).toEqual(["b", "a", "c"]);
  });
});

describe("operations become Istio's to", () => {
  it.each<[string, Operation[] | undefined, IstioRule["to"]]>([
    ["no operations: any operation, no to", undefined, undefined],
    ["an empty operation list: no to", [], undefined],
    ["methods, paths and ports sorted, ports as strings in numeric order", [{ methods: ["POST", "GET"], paths: ["/v1/*", "/healthz"], ports: [8443, 80, 443] }], [{ operation: { methods: ["GET", "POST"], paths: ["/healthz", "/v1/*"], ports: ["80", "443", "8443"] } }]],
    ["omitted lists stay omitted", [{ paths: ["/a"] }, { ports: [9090] }], [{ operation: { paths: ["/a"] } }, { operation: { ports: ["9090"] } }]],
    ["an operation that matches anything makes the whole to match anything (Istio refuses empty operations)", [{ paths: ["/a"] }, {}], undefined],
    ["empty lists are omitted like absent ones", [{ methods: [], paths: ["/a"] }], [{ operation: { paths: ["/a"] } }]],
  ])("%s", (_what, to, expected) => {
    const [rule] = rulesFor([{ namespace: "frontend" }], to) ?? [];
    expect(rule?.to).toEqual(expected);
  });
});
