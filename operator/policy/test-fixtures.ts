// Builders shared by the renderer's tests: small policies and identities with defaults
// that let each test state only what it is about.
import type { AccessPolicy, AccessPolicySpec } from "../api/types.js";
import { jwtName, policyObjectName } from "../render/names.js";
import { defaultRenderConfig, type RenderConfig } from "../config.js";
import { identityLookupOf, type IdentityFacts } from "./identity-lookup.js";
import type { AuthorizationPolicySpec, RenderedObject } from "./istio-types.js";
import { renderAccessPolicy, type PolicyRenderResult } from "./render-access-policy.js";

export const NAMESPACE = "payments";
/** The name of the AccessPolicy `accessPolicy` builds, and of its first rendered object. */
export const POLICY_NAME = "ledger-access";
export const RENDERED_NAME = policyObjectName(POLICY_NAME);
export const config: RenderConfig = defaultRenderConfig;

export function accessPolicy(spec: AccessPolicySpec, metadata: Partial<AccessPolicy["metadata"]> = {}): AccessPolicy {
  return {
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "AccessPolicy",
    metadata: { name: POLICY_NAME, namespace: NAMESPACE, uid: "uid-ap-1", generation: 7, ...metadata },
    spec,
  };
}

/** An identity whose service account is its name and whose pods carry app=<name>. */
export function identity(namespace: string, name: string, extra: Partial<IdentityFacts> = {}): IdentityFacts {
  return { namespace, name, serviceAccount: name, workloadSelector: { app: name }, ...extra };
}

export function principalOf(namespace: string, serviceAccount: string): string {
  return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

export function render(spec: AccessPolicySpec, identities: IdentityFacts[] = [], renderConfig: RenderConfig = config): PolicyRenderResult {
  return renderAccessPolicy(accessPolicy(spec), identityLookupOf(identities), renderConfig);
}

export function findObject(result: PolicyRenderResult, kind: RenderedObject["kind"], name = kind === "RequestAuthentication" ? jwtName(POLICY_NAME) : RENDERED_NAME): RenderedObject | undefined {
  return result.objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** The spec of the main AuthorizationPolicy; fails the test when it was not rendered. */
export function authorizationSpec(result: PolicyRenderResult, name = RENDERED_NAME): AuthorizationPolicySpec {
  const object = findObject(result, "AuthorizationPolicy", name);
  if (object?.kind !== "AuthorizationPolicy") throw new Error(`AuthorizationPolicy ${name} was not rendered`);
  return object.spec;
}
