import { describe, expect, it } from "vitest";
import { identityLookupOf } from "./identity-lookup.js";
import { identity } from "./test-fixtures.js";

describe("identityLookupOf", () => {
  const a = identity("ns1", "a", { tenant: "acme" });
  const b = identity("ns2", "b", { tenant: "acme" });
  const c = identity("ns1", "c");
  const lookup = identityLookupOf([a, b, c]);

  it("finds an identity by namespace and name", () => {
    expect(lookup.get("ns1", "a")).toBe(a);
    expect(lookup.get("ns2", "a")).toBeUndefined();
  });

  it("lists the identities of a tenant across namespaces", () => {
    expect(lookup.withTenant("acme")).toEqual([a, b]);
    expect(lookup.withTenant("none")).toEqual([]);
  });

  it("lists the identities of a namespace", () => {
    expect(lookup.inNamespace("ns1")).toEqual([a, c]);
  });

  it("lists the identities that run as a service account", () => {
    expect(lookup.withServiceAccount("ns1", a.serviceAccount)).toEqual([a]);
    expect(lookup.withServiceAccount("ns2", a.serviceAccount)).toEqual([]);
  });

  it("refuses an identity listed twice, whose answer would depend on list order", () => {
    expect(() => identityLookupOf([a, { ...a, tenant: "other" }])).toThrow(/ns1\/a is listed twice/);
  });
});
