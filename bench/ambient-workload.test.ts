import { describe, expect, it } from "vitest";
import { defaultRenderConfig } from "../operator/config.js";
import { DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL } from "../operator/dataplane/detect.js";
import { renderAccessPolicy } from "../operator/policy/index.js";
import { shardName, waypointShardName, ztunnelShardName } from "../operator/render/names.js";
import { BENCH_WAYPOINT, dataPlanesOf } from "./ambient-workload.js";
import { asReadBack, desiredWrites, indexedLookup } from "./desired-objects.js";
import { buildWorkload, type Workload } from "./workload.js";

const SIZE = 1000;

/** Everything the workload holds, Maps included, as comparable JSON. */
function snapshot(workload: Workload): string {
  return JSON.stringify(workload, (_key, value: unknown) => (value instanceof Map ? [...value.entries()] : value));
}

function render(workload: Workload) {
  const lookup = indexedLookup(asReadBack(workload.identities, "00000000-0000-4000-8000"), workload.namespaceTenants);
  const planes = dataPlanesOf(workload);
  return asReadBack(workload.policies, "00000000-0000-4000-9000").map((policy) => ({ policy, result: renderAccessPolicy(policy, lookup, defaultRenderConfig, planes) }));
}

describe("the benchmark's ambient workload", () => {
  const workload = buildWorkload({ size: SIZE, ambientEvery: 2 });
  const ambient = workload.ambient!;

  it("is the same objects every time it is built", () => {
    expect(snapshot(buildWorkload({ size: SIZE, ambientEvery: 2 }))).toBe(snapshot(workload));
  });

  it("leaves the identities and policies of the sidecar-only workload as they are, and adds nothing to it", () => {
    const sidecar = buildWorkload({ size: SIZE });
    expect(sidecar.ambient).toBeUndefined();
    expect(JSON.stringify(workload.identities)).toBe(JSON.stringify(sidecar.identities));
    expect(JSON.stringify(workload.policies)).toBe(JSON.stringify(sidecar.policies));
  });

  it("labels half the namespaces ambient with their waypoint, and gives each a waypoint Gateway and each of its identities a Service", () => {
    expect(workload.namespaces).toHaveLength(20);
    expect(ambient.namespaceLabels.size).toBe(10);
    for (const [, labels] of ambient.namespaceLabels) expect(labels).toEqual({ [DATAPLANE_MODE_LABEL]: "ambient", [USE_WAYPOINT_LABEL]: BENCH_WAYPOINT });
    expect(ambient.gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`).sort()).toEqual([...ambient.namespaceLabels.keys()].map((ns) => `${ns}/${BENCH_WAYPOINT}`).sort());
    const ambientIdentities = workload.identities.filter((i) => ambient.namespaceLabels.has(i.metadata.namespace));
    expect(ambientIdentities).toHaveLength(SIZE / 2);
    expect(ambient.services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual(ambientIdentities.map((i) => `${i.metadata.namespace}/${i.metadata.name}`));
    // Every tenant spans both data planes, so cross-namespace sources cross between them.
    const tenantsByPlane = (isAmbient: boolean) => new Set(workload.namespaces.filter((ns) => ambient.namespaceLabels.has(ns) === isAmbient).map((ns) => workload.namespaceTenants.get(ns)));
    expect(tenantsByPlane(true)).toEqual(tenantsByPlane(false));
  });

  it("renders ambient targets in the ambient form with their waypoint (none refused as WaypointRequired), and the others as sidecars", () => {
    const rendered = render(workload);
    const waypointPrincipal = (namespace: string) => `${defaultRenderConfig.trustDomain}/ns/${namespace}/sa/${BENCH_WAYPOINT}`;
    let ambientTargets = 0;
    for (const { policy, result } of rendered) {
      const { name, namespace } = policy.metadata;
      const names = result.objects.map((o) => o.metadata.name);
      expect(result.refused).toBeUndefined();
      if (!ambient.namespaceLabels.has(namespace)) {
        expect(names).toEqual([shardName(name, 0)]);
        expect(result.ambient).toBeUndefined();
        continue;
      }
      ambientTargets++;
      expect(names.sort()).toEqual([waypointShardName(name, 0), ztunnelShardName(name, 0)].sort());
      expect(result.ambient?.waypoint?.name).toBe(BENCH_WAYPOINT);
      const ztunnel = result.objects.find((o) => o.metadata.name === ztunnelShardName(name, 0))!.spec as Record<string, unknown>;
      expect(ztunnel).toEqual({ action: "ALLOW", rules: [{ from: [{ source: { principals: [waypointPrincipal(namespace)] } }] }], selector: { matchLabels: { app: policy.spec.targetIdentity } } });
      const waypoint = result.objects.find((o) => o.metadata.name === waypointShardName(name, 0))!.spec as Record<string, unknown>;
      expect(waypoint.targetRefs).toEqual([{ group: "", kind: "Service", name: policy.spec.targetIdentity }]);
      expect(waypoint.selector).toBeUndefined();
      expect(waypoint.action).toBe("ALLOW");
    }
    expect(ambientTargets).toBe(SIZE / 2);
  });

  it("gives the floor the same policy versions the renderer gives with the workload's data planes, and more AuthorizationPolicies than sidecar-only", () => {
    const identities = asReadBack(workload.identities, "00000000-0000-4000-8000");
    const policies = asReadBack(workload.policies, "00000000-0000-4000-9000");
    const withPlanes = desiredWrites(identities, policies, workload.namespaces, undefined, workload.namespaceTenants, dataPlanesOf(workload));
    const sidecarOnly = desiredWrites(identities, policies, workload.namespaces, undefined, workload.namespaceTenants);
    for (const { policy, result } of render(workload)) expect(withPlanes.policyHashes.get(`${policy.metadata.namespace}/${policy.metadata.name}`)).toBe(result.policyHash);
    const aps = (objects: typeof withPlanes.objects) => objects.filter((o) => o.kind === "AuthorizationPolicy").length;
    expect(aps(withPlanes.objects) - aps(sidecarOnly.objects)).toBe(SIZE / 2);
  });
});
