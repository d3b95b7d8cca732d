// Whether the renderer renders ambient targets yet (issue 23, item 2, branch ambient-render):
// the tests that need it are marked with it and run once it has landed.
// TODO(ambient-render): remove this probe and the skipIf marks once the branch is merged.
import { defaultRenderConfig } from "../../operator/config.js";
import type { DataPlaneLookup } from "../../operator/dataplane/data-plane.js";
import { identityLookupOf } from "../../operator/policy/identity-lookup.js";
import { renderAccessPolicy } from "../../operator/policy/render-access-policy.js";

/** An L7 Allow for an ambient target without waypoint: refused with WaypointRequired once ambient rendering exists. */
export function ambientRenderingLanded(): boolean {
  const ambientWithoutWaypoint: DataPlaneLookup = { forTarget: () => ({ forms: ["ambient"], services: ["ledger"], waypointProblem: "set the label istio.io/use-waypoint" }) };
  const identities = identityLookupOf([
    { namespace: "probe", name: "ledger", serviceAccount: "ledger", workloadSelector: { app: "ledger" } },
    { namespace: "probe", name: "web", serviceAccount: "web" },
  ]);
  const policy = {
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "AccessPolicy",
    metadata: { name: "probe", namespace: "probe", uid: "u", generation: 1 },
    spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }] },
  } as Parameters<typeof renderAccessPolicy>[0];
  return (renderAccessPolicy(policy, identities, defaultRenderConfig, ambientWithoutWaypoint).refused?.reason as string | undefined) === "WaypointRequired";
}
