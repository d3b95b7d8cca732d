import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { contentHashOf, recordedContentHash } from "../render/content-hash.js";
import { SOURCE_GENERATION_ANNOTATION } from "../render/metadata.js";
import { identityLookupOf } from "./identity-lookup.js";
import { renderAccessPolicy } from "./render-access-policy.js";
import { accessPolicy, config, identity, NAMESPACE, render } from "./test-fixtures.js";

const ledger = identity(NAMESPACE, "ledger", { workloadSelector: { app: "ledger" } });
const checkout = identity(NAMESPACE, "checkout");
const spec = { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "checkout" } }] }] };

describe("policyHash, the policy's version for audit", () => {
  it("changes when enforcement is switched on, although the rendered specs stay the same", () => {
    const enforced = render(spec, [ledger, checkout]);
    const dryRun = render({ ...spec, dryRun: true }, [ledger, checkout]);
    expect(dryRun.objects.map((o) => o.spec)).toEqual(enforced.objects.map((o) => o.spec));
    expect(dryRun.policyHash).not.toBe(enforced.policyHash);
  });

  it("changes when a resolved source changes, and not when nothing does", () => {
    const first = render(spec, [ledger, checkout]);
    expect(render(spec, [checkout, ledger]).policyHash).toBe(first.policyHash);
    expect(render(spec, [ledger, { ...checkout, serviceAccount: "checkout-v2" }]).policyHash).not.toBe(first.policyHash);
  });
});

describe("content hashes and the policy's version (api.md, Versions and hashes)", () => {
  it("is the sha256 over the sorted (kind, name, content hash) of the objects, and no object carries it", () => {
    const result = render({ ...spec, authentication: { jwt: [{ issuer: "https://idp.example" }], requireJWT: true } }, [ledger, checkout]);
    const triples = result.objects.map((o) => [o.kind, o.metadata.name, recordedContentHash(o)]).sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`));
    expect(result.policyHash).toBe(createHash("sha256").update(JSON.stringify(triples)).digest("hex"));
    for (const object of result.objects) {
      expect(Object.values(object.metadata.annotations ?? {})).not.toContain(result.policyHash);
      expect(recordedContentHash(object)).toBe(contentHashOf(object));
    }
  });

  it("keeps an object's content hash when only the policy's generation changes", () => {
    const first = renderAccessPolicy(accessPolicy(spec), identityLookupOf([ledger, checkout]), config);
    const next = renderAccessPolicy(accessPolicy(spec, { generation: 8 }), identityLookupOf([ledger, checkout]), config);
    expect(next.objects.map(recordedContentHash)).toEqual(first.objects.map(recordedContentHash));
    expect(next.policyHash).toBe(first.policyHash);
    expect(next.objects[0]!.metadata.annotations?.[SOURCE_GENERATION_ANNOTATION]).toBe("8");
  });
});
