// What the renderer refuses to render with the credential gate on (contract: "Who may ask,
// and about what"), and an issuer whose keys istiod would fetch over plain HTTP.
import { describe, expect, it } from "vitest";
import type { AccessPolicySpec } from "../api/types.js";
import type { PolicyRenderResult } from "./render-access-policy.js";
import { identity, POLICY_NAME, render } from "./test-fixtures.js";
import { jwtName, shardName } from "../render/names.js";

const gated = (spec: Partial<AccessPolicySpec>): AccessPolicySpec => ({
  targetIdentity: "ledger",
  rules: [{ from: [{ apiKey: { id: "ci" } }], to: [{ methods: ["POST"] }] }],
  authentication: { apiKeys: { keys: [{ id: "ci", sha256: "0".repeat(64) }] } },
  ...spec,
});
const ledger = identity("payments", "ledger");

/** Nothing rendered admits anyone: the ALLOW objects have no rules, and no CUSTOM or RequestAuthentication is rendered. */
function admitsNobody(result: PolicyRenderResult): boolean {
  return (
    result.objects.length > 0 &&
    result.objects.every((o) => o.kind === "AuthorizationPolicy" && ((o.spec as { action?: string }).action === "DENY" || ((o.spec as { action?: string }).action === "ALLOW" && !(o.spec as { rules?: unknown[] }).rules)))
  );
}

describe("rendering refused with the credential gate on", () => {
  it("refuses mtls: Permissive (GateNeedsStrictMTLS): its rules admit nobody; without the gate Permissive renders", () => {
    const result = render(gated({ mtls: "Permissive" }), [ledger]);
    expect(admitsNobody(result)).toBe(true);
    expect(result.refused).toMatchObject({ reason: "GateNeedsStrictMTLS", message: expect.stringContaining("spec.mtls") });
    const ungated = render({ targetIdentity: "ledger", mtls: "Permissive", rules: [{ from: [{ namespace: "web" }] }] }, [ledger]);
    expect(ungated.refused).toBeUndefined();
    expect(ungated.objects.length).toBeGreaterThan(0);
  });

  it("refuses a target whose service account another EngineIdentity shares (AmbiguousTarget), naming it", () => {
    const twin = identity("payments", "ledger-twin", { serviceAccount: "ledger" });
    const result = render(gated({}), [ledger, twin]);
    expect(admitsNobody(result)).toBe(true);
    expect(result.refused).toMatchObject({ reason: "AmbiguousTarget", message: expect.stringContaining("ledger-twin") });
    expect(render(gated({}), [ledger, identity("payments", "other")]).refused).toBeUndefined();
  });

  it("refuses a gated issuer without audiences, naming the field", () => {
    const result = render(gated({ authentication: { gate: true, jwt: [{ issuer: "https://login.example.com", jwksUri: "https://login.example.com/jwks" }] } }), [ledger]);
    expect(result.refused).toMatchObject({ reason: "GatedIssuerNeedsAudiences", message: expect.stringContaining("spec.authentication.jwt[0].audiences") });
    // Not gated: the mesh checks audiences itself (Istio's default), nothing is refused.
    expect(render({ targetIdentity: "ledger", authentication: { jwt: [{ issuer: "https://login.example.com", jwksUri: "https://login.example.com/jwks" }] }, rules: [{ from: [{ jwt: { issuer: "https://login.example.com" } }] }] }, [ledger]).refused).toBeUndefined();
  });

  it("never renders an http:// issuer without jwksUri or jwks into a RequestAuthentication (InsecureJwksSource)", () => {
    const spec: AccessPolicySpec = { targetIdentity: "ledger", authentication: { jwt: [{ issuer: "http://login.example.com" }] }, rules: [{ from: [{ jwt: { issuer: "http://login.example.com" } }] }] };
    const result = render({ ...spec, authentication: { ...spec.authentication, requireJWT: true } }, [ledger]);
    expect(result.objects.filter((o) => o.kind === "RequestAuthentication")).toEqual([]);
    // What it denies stays denied: the require-JWT Deny is kept (no token verifies, so it denies all).
    expect(result.objects.map((o) => `${o.kind}/${o.metadata.name}/${(o.spec as { action?: string }).action}`)).toEqual([`AuthorizationPolicy/${shardName(POLICY_NAME, 0)}/ALLOW`, `AuthorizationPolicy/${jwtName(POLICY_NAME)}/DENY`]);
    expect(admitsNobody(result)).toBe(true);
    expect(result.refused).toMatchObject({ reason: "InsecureJwksSource", message: expect.stringContaining("spec.authentication.jwt[0]") });
    const withKeys = render({ ...spec, authentication: { jwt: [{ issuer: "http://login.example.com", jwksUri: "https://login.example.com/jwks" }] } }, [ledger]);
    expect(withKeys.refused).toBeUndefined();
  });
});
