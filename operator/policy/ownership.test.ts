import { describe, expect, it } from "vitest";
import { contentHashOf } from "../render/content-hash.js";
import { jwtName, policyObjectName } from "../render/names.js";
import type { AccessPolicySpec } from "../api/types.js";
import { identityLookupOf } from "./identity-lookup.js";
import { renderAccessPolicy } from "./render-access-policy.js";
import { accessPolicy, config, identity, NAMESPACE, POLICY_NAME, render } from "./test-fixtures.js";

const target = identity(NAMESPACE, "ledger");
const everything: AccessPolicySpec = {
  targetIdentity: "ledger",
  authentication: { jwt: [{ issuer: "https://idp.example" }], requireJWT: true },
  rules: [{ from: [{ namespace: "frontend" }] }],
};

describe("semantic 8: ownership, labels and annotations", () => {
  const result = render(everything, [target]);

  it("renders the AuthorizationPolicies and RequestAuthentication in the policy's namespace, named after it (workload mTLS is the baseline's)", () => {
    expect(result.objects.map((o) => [o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name])).toEqual([
      ["security.istio.io/v1", "AuthorizationPolicy", NAMESPACE, policyObjectName(POLICY_NAME)],
      ["security.istio.io/v1", "AuthorizationPolicy", NAMESPACE, jwtName(POLICY_NAME)],
      ["security.istio.io/v1", "RequestAuthentication", NAMESPACE, jwtName(POLICY_NAME)],
    ]);
  });

  it.each(result.objects.map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))("%s is labelled, annotated and controlled by the AccessPolicy", (_name, object) => {
    expect(object.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/policy": "ledger-access" });
    expect(object.metadata.annotations).toEqual({ "security.nexus.io/content-hash": contentHashOf(object), "security.nexus.io/source-generation": "7" });
    expect(object.metadata.ownerReferences).toEqual([
      { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", name: "ledger-access", uid: "uid-ap-1", controller: true, blockOwnerDeletion: true },
    ]);
  });

  it("annotates the AuthorizationPolicies, and only them, with Istio's dry-run when dryRun is set", () => {
    const dry = render({ ...everything, dryRun: true }, [target]);
    expect(dry.objects.map((o) => [o.kind, o.metadata.annotations?.["istio.io/dry-run"]])).toEqual([
      ["AuthorizationPolicy", "true"],
      ["AuthorizationPolicy", "true"],
      ["RequestAuthentication", undefined],
    ]);
  });

  it("has a sha256 policy hash that changes with the rendered specs", () => {
    expect(result.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(render({ ...everything, action: "Audit" }, [target]).policyHash).not.toBe(result.policyHash);
    expect(render({ ...everything, rules: [{ from: [{ namespace: "other" }] }] }, [target]).policyHash).not.toBe(result.policyHash);
  });

  it("keeps the policy hash when only the generation changes, and records the generation", () => {
    const later = renderAccessPolicy(accessPolicy(everything, { generation: 8 }), identityLookupOf([target]), config);
    expect(later.policyHash).toBe(result.policyHash);
    expect(later.objects[0]?.metadata.annotations?.["security.nexus.io/source-generation"]).toBe("8");
  });

  it("renders without owner reference a policy that was not read from the API (no uid), e.g. from a file", () => {
    const fromFile = renderAccessPolicy(accessPolicy(everything, { uid: undefined }), identityLookupOf([target]), config);
    expect(fromFile.objects.every((o) => o.metadata.ownerReferences === undefined)).toBe(true);
  });
});
