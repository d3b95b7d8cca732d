// The gate's decisions on Checks an ambient waypoint sends: about the Service at the
// destination address (never Host or another header), answered only for the waypoint that
// serves it, by the policies bound to that Service there.
import { describe, expect, it } from "vitest";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { apiKeySha256, generateApiKey } from "../credentials/api-key.js";
import { checkResponseOf } from "./answers.js";
import { auditRecordOf } from "./audit.js";
import { RateLimitedFailures } from "./failure-limiter.js";
import { Gate, type CheckSender } from "./gate.js";
import { GateIndex } from "./gate-index.js";
import { JoseTokenVerifier } from "./jwt-verifier.js";
import { gateRequestOf, type GateRequest } from "./request.js";
import { WaypointWorld } from "./testing/waypoint-world.js";

const NS = "shop";
const WAYPOINT = `spiffe://cluster.local/ns/${NS}/sa/waypoint`;
const OTHER_WAYPOINT = `spiffe://cluster.local/ns/${NS}/sa/other`;
const LEDGER_IP = "10.96.0.10";
const ORDERS_IP = "10.96.0.11";
const NOW = Date.parse("2026-12-01T10:00:00Z");

function identity(name: string): EngineIdentity {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace: NS }, spec: { workloadSelector: { matchLabels: { app: name } } } };
}

function gated(name: string, target: string, keyId: string, key: string): AccessPolicy {
  return {
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "AccessPolicy",
    metadata: { name, namespace: NS },
    spec: { targetIdentity: target, authentication: { apiKeys: { keys: [{ id: keyId, sha256: apiKeySha256(key) }] } }, rules: [{ from: [{ apiKey: { id: keyId } }], to: [{ methods: ["GET"], paths: ["/v1/*"] }] }] },
    status: { policyHash: `sha256:${name}` },
  };
}

/** A Check as a waypoint's Envoy sends it: no principals (its internal listener has no TLS), the Service's cluster IP and port as destination. */
function fromWaypoint(address: string | undefined, headers: Record<string, string>, overrides: { path?: string; host?: string } = {}): GateRequest {
  const path = overrides.path ?? "/v1/items";
  const host = overrides.host ?? `ledger.${NS}.svc.cluster.local`;
  return gateRequestOf({
    attributes: {
      source: { address: { socket_address: { address: "10.244.0.7", port_value: 40000 } } },
      destination: address ? { address: { socket_address: { address, port_value: 8080 } } } : {},
      request: { http: { method: "GET", path, host, headers: { ":path": path, ":authority": host, ...headers } } },
    },
  });
}

const as = (spiffeId: string): CheckSender => ({ identity: { ok: true, spiffeId } });

function setup(failures = 100) {
  const keys = { ledger: generateApiKey("ledger-client"), orders: generateApiKey("orders-client") };
  const index = new GateIndex("cluster.local");
  for (const name of ["ledger", "orders"]) index.setIdentity(identity(name));
  index.setPolicy(gated("ledger-callers", "ledger", "ledger-client", keys.ledger));
  index.setPolicy(gated("orders-callers", "orders", "orders-client", keys.orders));
  index.recompileAll();
  const world = new WaypointWorld(index)
    .setNamespace(NS, { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" })
    .setGateway(NS, "waypoint")
    .setGateway(NS, "other")
    .setService(NS, { name: "ledger", labels: {}, selector: { app: "ledger" }, clusterIPs: [LEDGER_IP] })
    .setService(NS, { name: "orders", labels: {}, selector: { app: "orders" }, clusterIPs: [ORDERS_IP] });
  const gate = new Gate({
    index,
    tokens: new JoseTokenVerifier({ cooldownMs: 1000, cacheMaxAgeMs: 60_000, clockToleranceSeconds: 0 }),
    limiter: RateLimitedFailures.inMemory({ failures, windowSeconds: 60, blockSeconds: 30 }),
    ready: () => true,
    realm: "nexus",
    clients: { trustedGateways: new Set(), trustedHops: 0 },
    maxPathLength: 8192,
    waypoints: world.waypoints,
    now: () => NOW,
  });
  return { gate, world, keys };
}

describe("credential gate decisions on a waypoint's Checks", () => {
  it("answers the serving waypoint by the policy bound to the Service at the destination address: OK, 401, 403 as for a sidecar", async () => {
    const { gate, keys } = setup();
    const allowed = await gate.decide(fromWaypoint(LEDGER_IP, { "x-api-key": keys.ledger }), as(WAYPOINT));
    expect(allowed).toMatchObject({ kind: "allow", reason: "api-key", callerHeader: "ledger-client", removeHeaders: ["x-api-key"], service: `${NS}/ledger`, caller: { checkSender: WAYPOINT } });
    expect(allowed.policy?.name).toBe("ledger-callers");
    expect(await gate.decide(fromWaypoint(LEDGER_IP, {}), as(WAYPOINT))).toMatchObject({ kind: "unauthenticated", reason: "no-credential" });
    expect(await gate.decide(fromWaypoint(LEDGER_IP, { "x-api-key": generateApiKey("ledger-client") }), as(WAYPOINT))).toMatchObject({ kind: "unauthenticated", reason: "unknown-key" });
    expect(await gate.decide(fromWaypoint(LEDGER_IP, { "x-api-key": keys.ledger }, { path: "/admin" }), as(WAYPOINT))).toMatchObject({ kind: "forbidden", reason: "not-admitted" });
  });

  it("refuses a waypoint that does not serve the Service with 403 and the one body, without looking at its credentials", async () => {
    const { gate, keys } = setup();
    const refused = await gate.decide(fromWaypoint(LEDGER_IP, { "x-api-key": keys.ledger }), as(OTHER_WAYPOINT));
    expect(refused).toMatchObject({ kind: "forbidden", reason: "caller-not-destination", caller: { checkSender: OTHER_WAYPOINT } });
    expect(refused.caller.keyId).toBeUndefined();
    const notAdmitted = await gate.decide(fromWaypoint(LEDGER_IP, { "x-api-key": keys.orders }), as(WAYPOINT));
    expect(JSON.stringify(checkResponseOf(refused))).toBe(JSON.stringify(checkResponseOf(notAdmitted)));
    // No address, or one no Service has: the Service is unknown, so nothing is answered on its merits.
    expect(await gate.decide(fromWaypoint(undefined, { "x-api-key": keys.ledger }), as(WAYPOINT))).toMatchObject({ kind: "forbidden", reason: "caller-not-destination" });
    expect(await gate.decide(fromWaypoint("10.96.0.99", { "x-api-key": keys.ledger }), as(WAYPOINT))).toMatchObject({ kind: "forbidden", reason: "caller-not-destination" });
  });

  it("lets no client-set field choose the policy: Host, :authority, x-forwarded-host and a forged XFCC naming orders leave ledger's policy deciding", async () => {
    const { gate, keys } = setup();
    const forged = {
      ":authority": `orders.${NS}.svc.cluster.local`,
      "x-forwarded-host": `orders.${NS}.svc.cluster.local`,
      "x-envoy-original-dst-host": `${ORDERS_IP}:8080`,
      "x-forwarded-client-cert": `By=${WAYPOINT};URI=spiffe://cluster.local/ns/${NS}/sa/orders`,
    };
    const host = `orders.${NS}.svc.cluster.local`;
    // orders' key, at ledger's address: ledger's policy decides, and does not admit it.
    const withOrdersKey = await gate.decide(fromWaypoint(LEDGER_IP, { ...forged, "x-api-key": keys.orders }, { host }), as(WAYPOINT));
    expect(withOrdersKey).toMatchObject({ kind: "forbidden", reason: "not-admitted", service: `${NS}/ledger` });
    const withLedgerKey = await gate.decide(fromWaypoint(LEDGER_IP, { ...forged, "x-api-key": keys.ledger }, { host }), as(WAYPOINT));
    expect(withLedgerKey).toMatchObject({ kind: "allow", service: `${NS}/ledger` });
    expect(withLedgerKey.policy?.name).toBe("ledger-callers");
  });

  it("stops answering a waypoint once its Gateway is deleted or its label removed", async () => {
    const { gate, world, keys } = setup();
    const check = () => gate.decide(fromWaypoint(LEDGER_IP, { "x-api-key": keys.ledger }), as(WAYPOINT));
    expect((await check()).kind).toBe("allow");
    world.setNamespace(NS, { "istio.io/dataplane-mode": "ambient" });
    expect(await check()).toMatchObject({ kind: "forbidden", reason: "caller-not-destination" });
    world.setNamespace(NS, { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
    expect((await check()).kind).toBe("allow");
    // No longer a waypoint: a Check without a destination principal, as from any sender.
    world.deleteGateway(NS, "waypoint");
    expect(await check()).toMatchObject({ kind: "forbidden", reason: "no-destination-principal" });
  });

  it("counts a waypoint's refused Checks against the waypoint, and failed authentications per client and Service", async () => {
    const { gate, keys } = setup(2);
    const refused = [];
    for (let i = 0; i < 3; i++) refused.push((await gate.decide(fromWaypoint(LEDGER_IP, {}), as(OTHER_WAYPOINT))).kind);
    expect(refused).toEqual(["forbidden", "forbidden", "rate-limited"]);
    const bad = { "x-api-key": generateApiKey("ledger-client") };
    const failed = [];
    for (let i = 0; i < 3; i++) failed.push((await gate.decide(fromWaypoint(LEDGER_IP, bad), as(WAYPOINT))).kind);
    expect(failed).toEqual(["unauthenticated", "unauthenticated", "rate-limited"]);
    // Another Service keeps its own budget; a valid key is answered on its merits.
    expect((await gate.decide(fromWaypoint(ORDERS_IP, bad), as(WAYPOINT))).kind).toBe("unauthenticated");
    expect((await gate.decide(fromWaypoint(LEDGER_IP, { "x-api-key": keys.ledger }), as(WAYPOINT))).kind).toBe("allow");
  });

  it("keeps answering sidecars by their destination principal", async () => {
    const { gate, keys } = setup();
    const ledger = `spiffe://cluster.local/ns/${NS}/sa/ledger`;
    const request = gateRequestOf({
      attributes: {
        destination: { principal: ledger, address: { socket_address: { address: "10.244.0.9", port_value: 8080 } } },
        request: { http: { method: "GET", path: "/v1/items", headers: { "x-api-key": keys.ledger } } },
      },
    });
    expect(await gate.decide(request, as(ledger))).toMatchObject({ kind: "allow" });
    expect((await gate.decide(request, as(ledger))).service).toBeUndefined();
  });

  it("names the Service and the waypoint in the audit record", async () => {
    const { gate, keys } = setup();
    const request = fromWaypoint(LEDGER_IP, { "x-api-key": keys.ledger });
    const record = auditRecordOf(await gate.decide(request, as(WAYPOINT)), request, NOW, 1);
    expect(record).toMatchObject({ decision: "allow", target: { service: `${NS}/ledger`, port: 8080 }, caller: { checkSender: WAYPOINT, keyId: "ledger-client" }, policy: `${NS}/ledger-callers` });
    expect(JSON.stringify(record)).not.toContain(keys.ledger);
  });
});
