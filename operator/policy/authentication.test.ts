import { describe, expect, it } from "vitest";
import { CONTENT_HASH_ANNOTATION } from "../render/metadata.js";
import { jwtName } from "../render/names.js";
import type { AccessPolicySpec, JwtCaller, JwtIssuer } from "../api/types.js";
import type { IstioRule } from "./istio-types.js";
import { authorizationSpec, findObject, identity, NAMESPACE, POLICY_NAME, render } from "./test-fixtures.js";

const target = identity(NAMESPACE, "ledger");
const idp: JwtIssuer = { issuer: "https://idp.example", jwksUri: "https://idp.example/jwks" };
const selector = { matchLabels: { app: "ledger" } };

function jwtRule(caller: JwtCaller): IstioRule | undefined {
  const result = render({ targetIdentity: "ledger", authentication: { jwt: [idp] }, rules: [{ from: [{ jwt: caller }] }] }, [target]);
  return authorizationSpec(result).rules?.[0];
}

describe("jwt sources: request principals and when-conditions", () => {
  it("requires the audiences through request.auth.audiences, sorted", () => {
    expect(jwtRule({ issuer: idp.issuer, audiences: ["orders", "billing"] })?.when).toEqual([
      { key: "request.auth.audiences", values: ["billing", "orders"] },
    ]);
  });

  it("requires each claim through request.auth.claims[name], claims and values sorted, after the audiences", () => {
    expect(jwtRule({ issuer: idp.issuer, audiences: ["api"], claims: { scope: ["write", "read"], groups: ["admins"] } })?.when).toEqual([
      { key: "request.auth.audiences", values: ["api"] },
      { key: "request.auth.claims[groups]", values: ["admins"] },
      { key: "request.auth.claims[scope]", values: ["read", "write"] },
    ]);
  });

  it("adds no when without audiences or claims", () => {
    expect(jwtRule({ issuer: idp.issuer })).toEqual({ from: [{ source: { requestPrincipals: ["https://idp.example/*"] } }] });
  });
});

describe("authentication.jwt renders a RequestAuthentication", () => {
  it("with the target's selector and the issuers sorted, each with the fields given", () => {
    const result = render(
      {
        targetIdentity: "ledger",
        authentication: {
          jwt: [
            { issuer: "https://z.example", jwks: '{"keys":[]}', audiences: ["b", "a"], fromHeaders: [{ name: "X-Token" }, { name: "Authorization", prefix: "Bearer " }], forwardOriginalToken: true },
            idp,
          ],
        },
      },
      [target],
    );
    expect(findObject(result, "RequestAuthentication")?.spec).toEqual({
      selector,
      jwtRules: [
        { issuer: "https://idp.example", jwksUri: "https://idp.example/jwks" },
        { issuer: "https://z.example", jwks: '{"keys":[]}', audiences: ["a", "b"], fromHeaders: [{ name: "X-Token" }, { name: "Authorization", prefix: "Bearer " }], forwardOriginalToken: true },
      ],
    });
  });

  it.each<[string, AccessPolicySpec]>([
    ["no authentication", { targetIdentity: "ledger" }],
    ["an empty issuer list", { targetIdentity: "ledger", authentication: { jwt: [] } }],
  ])("is absent with %s", (_what, spec) => {
    expect(findObject(render(spec, [target]), "RequestAuthentication")).toBeUndefined();
  });

  it("is namespace-wide when the policy has no target", () => {
    expect(findObject(render({ authentication: { jwt: [idp] } }), "RequestAuthentication")?.spec).toEqual({ jwtRules: [idp] });
  });
});

describe("authentication.requireJWT", () => {
  const spec: AccessPolicySpec = { targetIdentity: "ledger", dryRun: true, authentication: { jwt: [idp], requireJWT: true }, rules: [{ from: [{ jwt: { issuer: idp.issuer } }] }] };
  const result = render(spec, [target]);
  const requireJwt = findObject(result, "AuthorizationPolicy", jwtName(POLICY_NAME));

  it("adds a DENY policy for requests without a valid token, with the same selector", () => {
    expect(requireJwt?.spec).toEqual({ selector, action: "DENY", rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }] });
  });

  it("carries the same labels, owner and dry-run annotation as the main policy", () => {
    const main = findObject(result, "AuthorizationPolicy");
    expect(requireJwt?.metadata.labels).toEqual(main?.metadata.labels);
    expect(requireJwt?.metadata.ownerReferences).toEqual(main?.metadata.ownerReferences);
    const withoutContentHash = (annotations: Record<string, string> = {}) => Object.fromEntries(Object.entries(annotations).filter(([key]) => key !== CONTENT_HASH_ANNOTATION));
    expect(withoutContentHash(requireJwt?.metadata.annotations)).toEqual(withoutContentHash(main?.metadata.annotations));
    expect(requireJwt?.metadata.annotations?.["istio.io/dry-run"]).toBe("true");
  });

  it("is absent unless requireJWT is true", () => {
    const names = render({ ...spec, authentication: { jwt: [idp], requireJWT: false } }, [target]).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).not.toContain(`AuthorizationPolicy/${jwtName(POLICY_NAME)}`);
  });

  it("is rendered even when the main DENY policy is not, so tokens stay required", () => {
    const deny = render({ targetIdentity: "ledger", action: "Deny", authentication: { jwt: [idp], requireJWT: true } }, [target]);
    expect(deny.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      `AuthorizationPolicy/${jwtName(POLICY_NAME)}`,
      `RequestAuthentication/${jwtName(POLICY_NAME)}`,
    ]);
  });
});
