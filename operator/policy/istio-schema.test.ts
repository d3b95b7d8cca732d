import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import { RequestAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import { describe, expect, it } from "vitest";
import type { RenderedObject } from "./istio-types.js";
import { renderNamespaceBaseline } from "./namespace-baseline.js";
import { identity, NAMESPACE, render } from "./test-fixtures.js";

// The models package has PeerAuthentication at v1beta1 only; its schema is the same as v1's.
function validate(object: RenderedObject): void {
  switch (object.kind) {
    case "AuthorizationPolicy":
      return new AuthorizationPolicy(object).validate();
    case "RequestAuthentication":
      return new RequestAuthentication(object).validate();
    case "PeerAuthentication": {
      const { apiVersion: _servedAsV1, ...rest } = object;
      return new PeerAuthentication(rest).validate();
    }
  }
}

describe("rendered objects are valid Istio objects", () => {
  const everything = render(
    {
      targetIdentity: "ledger",
      dryRun: true,
      mtls: "Permissive",
      authentication: {
        jwt: [{ issuer: "https://idp.example", jwksUri: "https://idp.example/jwks", audiences: ["api"], fromHeaders: [{ name: "Authorization", prefix: "Bearer " }], forwardOriginalToken: true }],
        requireJWT: true,
      },
      rules: [
        {
          from: [{ identity: { name: "billing" } }, { namespace: "frontend" }, { principal: "spiffe://partner.example/ns/x/sa/y" }, { jwt: { issuer: "https://idp.example", subjects: ["alice"], audiences: ["api"], claims: { scope: ["read"] } } }],
          to: [{ methods: ["GET"], paths: ["/v1/*"], ports: [8080] }],
        },
      ],
    },
    [identity(NAMESPACE, "ledger"), identity(NAMESPACE, "billing")],
  );
  const deny = render({ action: "Deny", rules: [{ to: [{ paths: ["/admin/*"] }] }] });

  it.each([...everything.objects, ...deny.objects, ...renderNamespaceBaseline(NAMESPACE)].map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))(
    "%s passes the model's schema validation",
    (_name, object) => {
      expect(() => validate(object)).not.toThrow();
    },
  );

  it("the validation used here does catch an invalid object", () => {
    const [first] = everything.objects;
    const broken = { ...first, spec: { action: "PERMIT" } } as unknown as RenderedObject;
    expect(() => validate(broken)).toThrow();
  });
});
