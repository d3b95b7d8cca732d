import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessPolicySpec } from "../api/types.js";
import type { IdentityFacts } from "./identity-lookup.js";
import { authorizationSpec, identity, NAMESPACE, render } from "./test-fixtures.js";

const identities: IdentityFacts[] = [
  identity(NAMESPACE, "ledger", { tenant: "acme", workloadSelector: { version: "v2", app: "ledger" } }),
  ...["zeta", "alpha", "mid", "beta"].map((name) => identity("shop", name, { tenant: "acme" })),
  identity("shop", "shared-sa", { tenant: "acme", serviceAccount: "alpha" }),
  identity("other", "rival", { tenant: "globex" }),
  identity("shop", "gone-tenant", { tenant: "ghosts" }),
];

const spec: AccessPolicySpec = {
  targetIdentity: "ledger",
  authentication: { jwt: [{ issuer: "https://z.example" }, { issuer: "https://a.example", audiences: ["y", "x"] }], requireJWT: true },
  rules: [
    {
      from: [
        { tenant: "acme" },
        { identity: { name: "zeta", namespace: "shop" } },
        { namespace: "b-ns" },
        { namespace: "a-ns" },
        { identity: { name: "missing" } },
        { jwt: { issuer: "https://a.example", subjects: ["s2", "s1"], claims: { z: ["2", "1"], a: ["x"] } } },
        { tenant: "globex" },
      ],
      to: [{ methods: ["POST", "GET"], ports: [9090, 80], paths: ["/b", "/a"] }],
    },
    { from: [{ principal: "spiffe://partner.example/ns/x/sa/y" }, { principal: "spiffe://cluster.local/ns/other/sa/rival" }] },
  ],
};

describe("semantic 6: determinism", () => {
  const reference = JSON.stringify(render(spec, identities));

  it("renders byte-identical results for the same inputs", () => {
    expect(JSON.stringify(render(spec, identities))).toBe(reference);
  });

  it("renders byte-identical results whatever the order of the identity list", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(identities, { minLength: identities.length, maxLength: identities.length }), (shuffled) => {
        expect(JSON.stringify(render(spec, shuffled))).toBe(reference);
      }),
      { numRuns: 200 },
    );
  });

  it("renders the same objects whatever the order of selector labels, issuers, operation lists, jwt subjects and claims", () => {
    const [first, ...rest] = spec.rules ?? [];
    const reordered: AccessPolicySpec = {
      ...spec,
      authentication: { ...spec.authentication, jwt: [...(spec.authentication?.jwt ?? [])].reverse() },
      rules: [
        {
          from: first?.from?.map((s) => (s.jwt ? { jwt: { ...s.jwt, subjects: ["s1", "s2"], claims: { a: ["x"], z: ["1", "2"] } } } : s)),
          to: [{ paths: ["/a", "/b"], ports: [80, 9090], methods: ["GET", "POST"] }],
        },
        ...rest,
      ],
    };
    const ids = identities.map((i) => (i.name === "ledger" ? { ...i, workloadSelector: { app: "ledger", version: "v2" } } : i));
    expect(JSON.stringify(render(reordered, ids).objects)).toBe(JSON.stringify(render(spec, identities).objects));
  });

  it("sorts and deduplicates principals", () => {
    const principals = authorizationSpec(render(spec, identities)).rules?.[0]?.from?.[0]?.source.principals;
    // shared-sa runs as alpha, and zeta is named on its own too: each principal appears once.
    expect(principals).toEqual([
      "cluster.local/ns/payments/sa/ledger",
      "cluster.local/ns/shop/sa/alpha",
      "cluster.local/ns/shop/sa/beta",
      "cluster.local/ns/shop/sa/mid",
      "cluster.local/ns/shop/sa/zeta",
    ]);
  });

  it("returns objects sorted by kind, then name", () => {
    const keys = render(spec, identities).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(keys).toEqual([...keys].sort());
  });
});
