import { describe, expect, it } from "vitest";
import type { AccessPolicySpec } from "../api/types.js";
import { staticLookup } from "../dataplane/testing/static-lookup.js";
import { CONTENT_HASH_ANNOTATION } from "../render/metadata.js";
import { isZtunnelShardName, waypointGateName, waypointJwtName, waypointShardName, ztunnelShardName } from "../render/names.js";
import { identityLookupOf } from "./identity-lookup.js";
import type { RenderedObject } from "./istio-types.js";
import { renderAccessPolicy } from "./render-access-policy.js";
import { istioObject } from "./rendered-object.js";
import { accessPolicy, config, identity, NAMESPACE, POLICY_NAME, principalOf } from "./test-fixtures.js";
import { boundServicesOf, guardsAtWaypoint, isWaypointGuardName, withoutWaypointAdmission } from "./waypoint-handoff.js";

const WAYPOINT = { namespace: NAMESPACE, name: "waypoint", principal: principalOf(NAMESPACE, "waypoint") };
const ambient = staticLookup({ forms: ["ambient"], services: [{ namespace: NAMESPACE, name: "ledger", selector: { app: "ledger" } }], waypoints: { [NAMESPACE]: WAYPOINT } });
const identities = identityLookupOf([identity(NAMESPACE, "ledger"), identity(NAMESPACE, "web"), identity(NAMESPACE, "batch")]);

function renderAmbient(spec: AccessPolicySpec): RenderedObject[] {
  return renderAccessPolicy(accessPolicy(spec), identities, config, ambient).objects;
}

function named(objects: RenderedObject[], name: string): RenderedObject {
  const found = objects.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === name);
  if (!found) throw new Error(`${name} not rendered; got ${objects.map((o) => o.metadata.name).join(", ")}`);
  return found;
}

describe("what guards a waypoint", () => {
  it("is a Deny's waypoint shard, the gate's CUSTOM policy and the require-JWT policy there, and never an Allow or a ztunnel object", () => {
    const deny = renderAmbient({ targetIdentity: "ledger", action: "Deny", rules: [{ from: [{ identity: { name: "web" } }], to: [{ paths: ["/admin"] }] }] });
    const allow = renderAmbient({
      targetIdentity: "ledger",
      authentication: { requireJWT: true, jwt: [{ issuer: "https://issuer.example", jwksUri: "https://issuer.example/jwks" }] },
      rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }],
    });
    expect(deny.filter(guardsAtWaypoint).map((o) => o.metadata.name)).toEqual([waypointShardName(POLICY_NAME, 0)]);
    expect(allow.filter(guardsAtWaypoint).map((o) => o.metadata.name)).toEqual([waypointJwtName(POLICY_NAME)]);
    expect(boundServicesOf(named(deny, waypointShardName(POLICY_NAME, 0)))).toEqual(["ledger"]);
  });

  it("is told by name for what is no longer rendered: a Deny's waypoint shards, any policy's gate and require-JWT there", () => {
    expect(isWaypointGuardName("p", "Deny", waypointShardName("p", 0))).toBe(true);
    expect(isWaypointGuardName("p", "Deny", waypointShardName("p", 3))).toBe(true);
    expect(isWaypointGuardName("p", "Allow", waypointShardName("p", 0))).toBe(false);
    expect(isWaypointGuardName("p", "Allow", waypointGateName("p"))).toBe(true);
    expect(isWaypointGuardName("p", "Allow", waypointJwtName("p"))).toBe(true);
    expect(isWaypointGuardName("p", "Deny", ztunnelShardName("p", 0))).toBe(false);
    expect(isWaypointGuardName("p", "Deny", waypointShardName("other", 0))).toBe(false);
    expect(isZtunnelShardName("p", ztunnelShardName("p", 2))).toBe(true);
    expect(isZtunnelShardName("p", `${ztunnelShardName("p", 0)}.x`)).toBe(false);
  });
});

describe("an Allow's ztunnel shard without the waypoint", () => {
  it("keeps its L4-only rules, drops only the waypoint's admission, and carries the hash of what it holds", () => {
    const objects = renderAmbient({
      targetIdentity: "ledger",
      rules: [
        { from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] },
        { from: [{ identity: { name: "batch" } }], to: [{ ports: [8080] }] },
      ],
    });
    const shard = named(objects, ztunnelShardName(POLICY_NAME, 0));
    const narrowed = withoutWaypointAdmission(shard, WAYPOINT.principal);
    expect(JSON.stringify(shard.spec)).toContain(WAYPOINT.principal);
    expect(JSON.stringify(narrowed.spec)).not.toContain(WAYPOINT.principal);
    expect(narrowed.spec).toEqual({ ...shard.spec, rules: (shard.kind === "AuthorizationPolicy" ? shard.spec.rules ?? [] : []).filter((rule) => !JSON.stringify(rule).includes(WAYPOINT.principal)) });
    expect(JSON.stringify(narrowed.spec)).toContain(principalOf(NAMESPACE, "batch"));
    // The same hash a rendering of that content gets, so the next reconcile compares like with like.
    const { [CONTENT_HASH_ANNOTATION]: _hash, ...annotations } = shard.metadata.annotations ?? {};
    const { name: _name, ...metadata } = shard.metadata;
    const expected = istioObject({ kind: "AuthorizationPolicy", name: shard.metadata.name, spec: narrowed.spec as never }, { ...metadata, annotations });
    expect(narrowed.metadata.annotations?.[CONTENT_HASH_ANNOTATION]).toBe(expected.metadata.annotations?.[CONTENT_HASH_ANNOTATION]);
    expect(narrowed.metadata.annotations?.[CONTENT_HASH_ANNOTATION]).not.toBe(shard.metadata.annotations?.[CONTENT_HASH_ANNOTATION]);
    expect(narrowed.metadata.labels).toEqual(shard.metadata.labels);
    expect(narrowed.metadata.ownerReferences).toEqual(shard.metadata.ownerReferences);
  });

  it("admits nobody when the waypoint was all it admitted, and is the shard itself when it never admitted the waypoint", () => {
    const objects = renderAmbient({ targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }] });
    const shard = named(objects, ztunnelShardName(POLICY_NAME, 0));
    const narrowed = withoutWaypointAdmission(shard, WAYPOINT.principal);
    expect(narrowed.spec).toEqual({ action: "ALLOW", selector: { matchLabels: { app: "ledger" } } });
    expect(withoutWaypointAdmission(narrowed, WAYPOINT.principal)).toBe(narrowed);
    expect(withoutWaypointAdmission(shard, principalOf(NAMESPACE, "other-waypoint"))).toBe(shard);
  });
});
