// Everything the mesh would hold for a scenario: each AccessPolicy's rendered
// AuthorizationPolicies and the baseline of every namespace with a NEXUS object, as the
// reconcilers would write them.
import { defaultRenderConfig, type RenderConfig } from "../../config.js";
import { sidecarEverywhere, type DataPlaneLookup } from "../../dataplane/data-plane.js";
import { identityLookupOf, renderAccessPolicy, renderNamespaceBaseline } from "../../policy/index.js";
import type { AuthorizationPolicyObject } from "../authorization-policy.js";
import type { AccessRequest } from "../request.js";
import type { IntentRequest, Scenario } from "./intent-oracle.js";

export function renderScenario(scenario: Scenario, renderConfig: RenderConfig = defaultRenderConfig, dataPlanes: DataPlaneLookup = sidecarEverywhere): AuthorizationPolicyObject[] {
  const identities = identityLookupOf(scenario.identities);
  const config = { ...renderConfig, trustDomain: scenario.trustDomain };
  const rendered = scenario.policies.flatMap((policy) => renderAccessPolicy(policy, identities, config, dataPlanes).objects);
  const namespaces = new Set([...scenario.identities.map((i) => i.namespace), ...scenario.policies.map((p) => p.metadata.namespace)]);
  const baselines = [...namespaces].sort().flatMap((namespace) => renderNamespaceBaseline(namespace));
  return [...rendered, ...baselines].filter((object) => object.kind === "AuthorizationPolicy");
}

/** The evaluator's view of a request: the token becomes Istio's request principal, claims and audiences. */
export function accessRequestOf(request: IntentRequest): AccessRequest {
  const { token } = request;
  return {
    source: {
      principal: request.callerPrincipal,
      ...(token
        ? {
            requestPrincipal: `${token.issuer}/${token.subject}`,
            claims: { ...token.claims, iss: [token.issuer], sub: [token.subject], aud: token.audiences },
            audiences: token.audiences,
          }
        : {}),
    },
    workload: request.workload,
    operation: request.operation,
  };
}
