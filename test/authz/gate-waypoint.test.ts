// nexus-authz as its own process against the real apiserver, asked by ambient waypoints
// (api.md "Who may ask"). A waypoint's Envoy decides on an internal listener without TLS, so
// its Check carries no principals; it names the Service it routes to by the address the
// request was tunnelled to, the Service's cluster IP, which the apiserver assigned here. The
// gate learns which waypoint serves which Service from the same Namespaces, Services and
// Gateways the operator reads, and never from Host or any other header.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiKeySha256, generateApiKey } from "../../operator/credentials/api-key.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { waypointGateway } from "../support/waypoint.js";
import { rememberCreated } from "./support/credentials-created.js";
import { EnvoyCheckClient, sidecarXfccFor, type CheckAnswer, type EnvoyRequest } from "./support/envoy-check-client.js";
import { startGateProcess, type GateProcess } from "./support/gate-process.js";

const API = "security.nexus.io/v1alpha1";
const FAILURES = 50;

function newKey(id: string): string {
  const key = generateApiKey(id);
  rememberCreated(key);
  return key;
}

describe("nexus-authz asked by ambient waypoints, as its own process", () => {
  const ns = uniqueName("gate-ambient");
  let admin: KubeClient;
  let gate: GateProcess;
  let client: EnvoyCheckClient;
  const keys = { ledger: "", orders: "" };
  const ips = { ledger: "", orders: "" };
  const waypoint = () => `spiffe://cluster.local/ns/${ns}/sa/waypoint`;
  const otherWaypoint = () => `spiffe://cluster.local/ns/${ns}/sa/other`;
  let sources = 0;

  /** A Check as the waypoint's Envoy sends it for a request to the Service at `address`. */
  const fromWaypoint = (sender: string, address: string, request: Omit<EnvoyRequest, "destinationAddress">): Promise<CheckAnswer> =>
    client.check({ destinationAddress: address, host: `ledger.${ns}.svc.cluster.local`, sourceAddress: `127.3.${++sources >> 8}.${sources & 255}`, ...request }, { xfcc: sidecarXfccFor(sender) });
  const ledgerKeyCheck = (sender = waypoint()) => fromWaypoint(sender, ips.ledger, { path: "/v1/items", headers: { "x-api-key": keys.ledger } });

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    keys.ledger = newKey("ledger-client");
    keys.orders = newKey("orders-client");
    await createNamespace(admin, ns, { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
    await admin.create(waypointGateway(ns, "waypoint"));
    await admin.create(waypointGateway(ns, "other"));
    for (const [name, id] of [
      ["ledger", "ledger-client"],
      ["orders", "orders-client"],
    ] as const) {
      await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace: ns }, spec: { workloadSelector: { matchLabels: { app: name } } } });
      const service = await admin.create<KubeObject & { spec: { clusterIP: string } }>({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ name: "http", port: 8080 }] } });
      ips[name] = service.spec.clusterIP;
      await admin.create({
        apiVersion: API,
        kind: "AccessPolicy",
        metadata: { name: `${name}-callers`, namespace: ns },
        spec: { targetIdentity: name, authentication: { apiKeys: { keys: [{ id, sha256: apiKeySha256(keys[name]) }] } }, rules: [{ from: [{ apiKey: { id } }], to: [{ methods: ["GET"], paths: ["/v1/*"] }] }] },
      });
    }
    expect(ips.ledger).toMatch(/^[0-9a-f.:]+$/);
    gate = await startGateProcess(kubeconfig, { args: [`--rate-limit-failures=${FAILURES}`] });
    await gate.waitForLog("caches synced; answering Checks", 60_000);
    client = new EnvoyCheckClient(gate.grpcAddress);
    await waitFor(async () => ((await ledgerKeyCheck()).status === 200 ? true : undefined), { timeoutMs: 15_000, description: "the gate to answer the ledger's waypoint" });
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await gate?.stop();
    if (admin) await deleteNamespace(admin, ns);
    admin?.close();
  });

  it("answers the Service's own waypoint by the Service's policy: OK for its key, 401 without or with an unknown one, 403 off its rules", async () => {
    const allowed = await ledgerKeyCheck();
    expect(allowed).toMatchObject({ status: 200, headers: { "x-nexus-caller": "ledger-client" }, headersToRemove: ["x-api-key"] });
    expect((await fromWaypoint(waypoint(), ips.ledger, { path: "/v1/items" })).status).toBe(401);
    expect((await fromWaypoint(waypoint(), ips.ledger, { path: "/v1/items", headers: { "x-api-key": newKey("ledger-client") } })).status).toBe(401);
    expect((await fromWaypoint(waypoint(), ips.ledger, { path: "/admin", headers: { "x-api-key": keys.ledger } })).status).toBe(403);
    // The orders Service through the same waypoint: orders' policy, orders' key.
    expect((await fromWaypoint(waypoint(), ips.orders, { path: "/v1/items", host: `orders.${ns}.svc.cluster.local`, headers: { "x-api-key": keys.orders } })).status).toBe(200);
  });

  it("refuses a waypoint that does not serve the Service: 403 with the body of any 403, its valid key not looked at, audited", async () => {
    const refused = await ledgerKeyCheck(otherWaypoint());
    const notAdmitted = await fromWaypoint(waypoint(), ips.ledger, { path: "/admin", headers: { "x-api-key": keys.ledger } });
    expect(refused.status).toBe(403);
    expect(refused).toEqual(notAdmitted);
    const records = await waitFor(
      async () => {
        const all = await gate.auditRecords();
        return all.some((r) => r.reason === "caller-not-destination") ? all : undefined;
      },
      { timeoutMs: 5_000, description: "the audit record of the refused Check" },
    );
    const record = records.find((r) => r.reason === "caller-not-destination")!;
    expect(record).toMatchObject({ decision: "forbidden", status: 403, caller: { checkSender: otherWaypoint() }, target: { service: `${ns}/ledger` } });
    expect(record.caller).not.toHaveProperty("keyId");
  });

  it("lets no client-set field pick the policy: Host, :authority and headers naming orders, even a destination principal of orders, leave ledger's policy deciding", async () => {
    const orders = { host: `orders.${ns}.svc.cluster.local`, destinationPrincipal: `spiffe://cluster.local/ns/${ns}/sa/orders` };
    const forgedHeaders = {
      "x-forwarded-host": `orders.${ns}.svc.cluster.local`,
      "x-envoy-original-dst-host": `${ips.orders}:8080`,
      "x-forwarded-client-cert": `By=${waypoint()};URI=${orders.destinationPrincipal}`,
    };
    // orders' key sent to ledger's address: ledger's policy decides, and does not admit it.
    const withOrdersKey = await fromWaypoint(waypoint(), ips.ledger, { path: "/v1/items", ...orders, headers: { ...forgedHeaders, "x-api-key": keys.orders } });
    expect(withOrdersKey.status).toBe(403);
    const withLedgerKey = await fromWaypoint(waypoint(), ips.ledger, { path: "/v1/items", ...orders, headers: { ...forgedHeaders, "x-api-key": keys.ledger }, requestId: "forged-host-ledger-key" });
    expect(withLedgerKey.status).toBe(200);
    const record = await waitFor(async () => (await gate.auditRecords()).find((r) => r.requestId === "forged-host-ledger-key"), { timeoutMs: 5_000, description: "the audit record of the forged Check" });
    expect(record).toMatchObject({ decision: "allow", policy: `${ns}/ledger-callers`, target: { service: `${ns}/ledger` } });
  });

  it("stops accepting the waypoint once the label naming it is removed, and once its Gateway is deleted", async () => {
    await admin.mergePatch(resources.namespace, ns, undefined, { metadata: { labels: { "istio.io/use-waypoint": null } } }, "nexus-test");
    await waitFor(async () => ((await ledgerKeyCheck()).status === 403 ? true : undefined), { timeoutMs: 10_000, description: "the unlabelled namespace's waypoint refused" });
    await admin.mergePatch(resources.namespace, ns, undefined, { metadata: { labels: { "istio.io/use-waypoint": "waypoint" } } }, "nexus-test");
    await waitFor(async () => ((await ledgerKeyCheck()).status === 200 ? true : undefined), { timeoutMs: 10_000, description: "the relabelled namespace's waypoint answered" });
    await admin.delete(resources.gateway, "waypoint", ns);
    await waitFor(async () => ((await ledgerKeyCheck()).status === 403 ? true : undefined), { timeoutMs: 10_000, description: "the deleted waypoint refused" });
    // No longer a waypoint: its Check is one without a destination principal, from any sender.
    const records = await waitFor(async () => ((await gate.auditRecords()).some((r) => r.reason === "no-destination-principal") ? gate.auditRecords() : undefined), { timeoutMs: 5_000, description: "the audit record of the refused Check" });
    expect(records.find((r) => r.reason === "no-destination-principal")).toMatchObject({ decision: "forbidden", caller: { checkSender: waypoint() } });
  });
});
