import { describe, expect, it } from "vitest";
import { generateCorpus } from "../../test/cli/support/corpus.js";
import { defaultRenderConfig } from "../config.js";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import type { DataPlane } from "../dataplane/data-plane.js";
import type { GatewayFacts, ServiceFacts } from "../dataplane/detect.js";
import type { AuthorizationPolicyObject } from "../evaluate/index.js";
import { AccessModel, targetOf, type Target } from "./access-model.js";
import { parseCaller } from "./caller.js";
import { checkAccess } from "./check-access.js";
import { targetPlaneOf } from "./data-planes.js";
import { accessMatrix, candidateOperations } from "./matrix.js";
import type { Operation } from "./check-access.js";
import { renderAll } from "./render-set.js";

const corpus = generateCorpus({ namespaces: ["a", "b", "c", "d"], tenants: ["t1", "t2"], identities: 40, policies: 40, seed: 5 });
const identities = corpus.filter((m) => m.kind === "EngineIdentity").map((m) => ({ ...m, metadata: { ...m.metadata, generation: 1 } })) as unknown as EngineIdentity[];
const policies = corpus.filter((m) => m.kind === "AccessPolicy").map((m) => ({ ...m, metadata: { ...m.metadata, generation: 1 } })) as unknown as AccessPolicy[];

/**
 * A world with every data plane: a and b ambient (a with a waypoint, b without one), c
 * migrating, d on sidecars; each identity with a selector has a Service of its own.
 */
const namespaces = new Map<string, Record<string, string>>([
  ["a", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }],
  ["b", { "istio.io/dataplane-mode": "ambient" }],
  ["c", { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled" }],
  ["d", {}],
]);
const services = new Map<string, ServiceFacts[]>();
for (const identity of identities) {
  const selector = identity.spec.workloadSelector?.matchLabels as Record<string, string> | undefined;
  if (!selector) continue;
  services.set(identity.metadata.namespace, [...(services.get(identity.metadata.namespace) ?? []), { name: `svc-${identity.metadata.name}`, labels: {}, selector }]);
}
const gateways = new Map<string, GatewayFacts>([["a/waypoint", { namespace: "a", name: "waypoint", gatewayClassName: "istio-waypoint", serviceAccount: "waypoint", labels: {} }]]);

/**
 * Written by hand beside the rendered ones: ztunnel in a refuses the waypoint's connections
 * on 9090, so a call the waypoint admits can still be denied at the second hop.
 */
const handWritten: AuthorizationPolicyObject[] = [
  { metadata: { name: "waypoint-not-on-9090", namespace: "a" }, spec: { action: "DENY", rules: [{ from: [{ source: { principals: ["cluster.local/ns/a/sa/waypoint"] } }], to: [{ operation: { ports: ["9090"] } }] }] } },
];

/** Cell by cell, the matrix gives checkAccess's answer on each target's data plane. */
function expectMatrixEqualsEvaluator(dataPlane: DataPlane | undefined): { allowed: number; cells: number; planes: Set<string>; allowedOn: Set<string> } {
  const rendered = renderAll({ identities, policies, namespaces, services, gateways, ...(dataPlane ? { dataPlane } : {}) }, defaultRenderConfig);
  const model = new AccessModel([...(rendered.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[]), ...handWritten]);
  const targets = identities.map((i) => targetOf(rendered.lookup.get(i.metadata.namespace, i.metadata.name)!));
  const planeOf = (target: Target) => targetPlaneOf(rendered.dataPlanes, target, dataPlane ? { dataPlane, by: "the test" } : undefined);
  const callers = targets.map((t) => parseCaller(`${t.namespace}/${t.name}`, { trustDomain: "cluster.local", identities: rendered.lookup, defaultNamespace: t.namespace }));
  // The requests the policies talk about, so that some are allowed and some are not.
  const seen = new Map<string, Operation>();
  for (const target of targets) for (const op of candidateOperations(model.policiesFor(target), 8080)) seen.set(`${op.method} ${op.path} ${op.port}`, op);
  const operations = [...[...seen.values()].slice(0, 6), { method: "GET", path: "/", port: 9090 }];
  const cells = accessMatrix(model, callers, targets, operations, 8080, planeOf);
  expect(cells).toHaveLength(callers.length * targets.length * operations.length);
  const targetByName = new Map(targets.map((t) => [`${t.namespace}/${t.name}`, t]));
  const callerOf = new Map(callers.map((c) => [c.label, c]));
  let allowed = 0;
  const planes = new Set<string>();
  const allowedOn = new Set<string>();
  for (const cell of cells) {
    const target = targetByName.get(cell.to)!;
    const plane = planeOf(target);
    planes.add(`${plane.dataPlane}${plane.dataPlane === "ambient" ? (plane.waypoint ? " via waypoint" : " without waypoint") : ""}`);
    const answer = checkAccess(model, callerOf.get(cell.from)!, target, cell.operation!, plane);
    expect(cell.decision, `${cell.from} -> ${cell.to} ${cell.operation!.method} ${cell.operation!.path} on ${plane.dataPlane}`).toBe(answer.decision);
    if (cell.decision === "ALLOW") allowed++, allowedOn.add(plane.dataPlane);
  }
  return { allowed, cells: cells.length, planes, allowedOn };
}

describe("access matrix", () => {
  it("gives, cell by cell, the evaluator's own answer for every caller, target and operation", () => {
    const rendered = renderAll({ identities, policies }, defaultRenderConfig);
    const model = new AccessModel(rendered.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[]);
    const targets = identities.map((i) => targetOf(rendered.lookup.get(i.metadata.namespace, i.metadata.name)!));
    const callers = targets.map((t) => parseCaller(`${t.namespace}/${t.name}`, { trustDomain: "cluster.local", identities: rendered.lookup, defaultNamespace: t.namespace }));
    const seen = new Map<string, Operation>();
    for (const target of targets) for (const op of candidateOperations(model.policiesFor(target), 8080)) seen.set(`${op.method} ${op.path} ${op.port}`, op);
    const operations = [...seen.values()].slice(0, 6);
    const cells = accessMatrix(model, callers, targets, operations, 8080);
    const targetByName = new Map(targets.map((t) => [`${t.namespace}/${t.name}`, t]));
    const callerOf = new Map(callers.map((c) => [c.label, c]));
    let allowed = 0;
    for (const cell of cells) {
      const answer = checkAccess(model, callerOf.get(cell.from)!, targetByName.get(cell.to)!, cell.operation!);
      expect(cell.decision, `${cell.from} -> ${cell.to} ${cell.operation!.method} ${cell.operation!.path}`).toBe(answer.decision);
      if (cell.decision === "ALLOW") allowed++;
    }
    // The corpus must exercise both answers for the comparison to mean anything.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(cells.length);
  }, 60_000);

  it("gives the evaluator's answer on each target's detected data plane: ambient through a waypoint, ambient without one, migrating and sidecar", () => {
    const { allowed, cells, planes, allowedOn } = expectMatrixEqualsEvaluator(undefined);
    // c is migrating: its pods with a sidecar are judged.
    expect([...planes].sort()).toEqual(["ambient via waypoint", "ambient without waypoint", "sidecar"]);
    expect(allowedOn).toContain("ambient");
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(cells);
  }, 60_000);

  for (const dataPlane of ["sidecar", "ambient", "grpc"] as const) {
    it(`gives the evaluator's answer with every target on ${dataPlane}`, () => {
      const { allowed, planes } = expectMatrixEqualsEvaluator(dataPlane);
      expect([...planes].every((plane) => plane.startsWith(dataPlane))).toBe(true);
      expect(allowed).toBeGreaterThan(0);
    }, 60_000);
  }
});
