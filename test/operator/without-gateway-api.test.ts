// A cluster without the Gateway API CRDs (Istio and cert-manager installed): the operator
// starts, is ready and serves sidecar namespaces as before; ambient targets have no waypoint
// there, so an Allow that needs one fails closed (WaypointRequired) and says why; once the
// CRDs and a waypoint appear it recovers by itself. The credential gate likewise: ready, and
// answering sidecars, without them; a waypoint's Checks answered once they appear. Runs on a
// control plane of its own, since the shared one has every CRD installed.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeySha256, generateApiKey } from "../../operator/credentials/api-key.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { repoRoot } from "../controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.js";
import { applyManifests, findYamlFiles, readYamlFiles } from "../controlplane/crds.js";
import { thirdPartyCrdFiles } from "../controlplane/third-party-crds.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, conditionOf, createNamespace, hasCondition, waitForEvent, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { waypointGateway } from "../support/waypoint.js";
import { rememberCreated } from "../authz/support/credentials-created.js";
import { EnvoyCheckClient, sidecarXfccFor } from "../authz/support/envoy-check-client.js";
import { startGateProcess, type GateProcess } from "../authz/support/gate-process.js";

const API = "security.nexus.io/v1alpha1";
const isGatewayApi = (file: string) => file.includes("sigs.k8s.io/gateway-api");

function identity(namespace: string, name: string): KubeObject {
  return { apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace }, spec: { workloadSelector: { matchLabels: { app: name } } } };
}

function policy(namespace: string, name: string, rules: unknown[]): KubeObject {
  return { apiVersion: API, kind: "AccessPolicy", metadata: { name, namespace }, spec: { targetIdentity: "ledger", rules } };
}

describe("without the Gateway API CRDs", () => {
  let controlPlane: ControlPlane;
  let client: KubeClient;
  let running: TestOperator;
  let gatewayApiFiles: string[];
  let gate: GateProcess;
  let checks: EnvoyCheckClient;
  const key = generateApiKey("ci");
  let ambientLedgerAddress = "";
  const sidecarNs = "team";
  const ambientNs = "mesh";
  const l7 = [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }];

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    const thirdParty = await thirdPartyCrdFiles();
    if (!thirdParty) throw new Error("hack/third-party-crds.sh gave no CRD files");
    gatewayApiFiles = thirdParty.filter(isGatewayApi);
    expect(gatewayApiFiles.length).toBeGreaterThan(0);
    const files = [...(await findYamlFiles(path.join(repoRoot, "crds"))), ...thirdParty.filter((f) => !isGatewayApi(f))];
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(files));
    client = adminClient(controlPlane.kubeconfigPath);
    running = await startTestOperator(controlPlane.kubeconfigPath);
    await createNamespace(client, sidecarNs);
    await createNamespace(client, ambientNs, { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
    rememberCreated(key);
    for (const ns of [sidecarNs, ambientNs]) {
      await client.create(identity(ns, "ledger"));
      await client.create(identity(ns, "web"));
      const service = await client.create<KubeObject & { spec: { clusterIP: string } }>({ apiVersion: "v1", kind: "Service", metadata: { name: "ledger", namespace: ns }, spec: { selector: { app: "ledger" }, ports: [{ port: 8080 }] } });
      if (ns === ambientNs) ambientLedgerAddress = service.spec.clusterIP;
      // A gated policy of the ledger's own, for the credential gate.
      const keys = { apiKeys: { keys: [{ id: "ci", sha256: apiKeySha256(key) }] } };
      await client.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "ledger-keys", namespace: ns }, spec: { targetIdentity: "ledger", authentication: keys, rules: [{ from: [{ apiKey: { id: "ci" } }], to: [{ paths: ["/v1/*"] }] }] } });
    }
    gate = await startGateProcess(controlPlane.kubeconfigPath);
    checks = new EnvoyCheckClient(gate.grpcAddress);
  });

  afterAll(async () => {
    checks?.close();
    await gate?.stop();
    await running?.stop();
    client?.close();
    await controlPlane?.stop();
  });

  it("starts and is ready, with Gateways reported absent and Services watched", () => {
    expect(running.operator.ready()).toBe(true);
    expect(running.operator.caches.gateways.availability).toBe("absent");
    expect(running.operator.caches.services.availability).toBe("served");
  });

  it("runs the credential gate too: ready with Gateways absent, answering a sidecar's Check", async () => {
    await gate.waitForLog("caches synced; answering Checks", 60_000);
    expect((await fetch(`http://127.0.0.1:${gate.probePort}/readyz`)).status).toBe(200);
    const fromSidecar = { path: "/v1/items", destinationPrincipal: `spiffe://cluster.local/ns/${sidecarNs}/sa/ledger`, headers: { "x-api-key": key } };
    await waitFor(async () => ((await checks.check(fromSidecar)).status === 200 ? true : undefined), { timeoutMs: 15_000, description: "the gate to answer the sidecar" });
  });

  it("renders sidecar namespaces as before, L7 rules included", async () => {
    await client.create(policy(sidecarNs, "ledger-callers", l7));
    await waitForObject(client, resources.accessPolicy, "ledger-callers", sidecarNs, (o) => hasCondition(o, "Ready", "True"), "sidecar policy Ready");
    await waitForObject(client, resources.authorizationPolicy, "nexus-ledger-callers", sidecarNs, () => true, "its AuthorizationPolicy");
  });

  it("logs the missing Gateway kind once, not in a loop", async () => {
    await waitFor(async () => (running.logLines.some((l) => l.includes("watch failed") && l.includes('"kind":"Gateway"')) ? true : undefined), { timeoutMs: 15_000, description: "the Gateway watch failure logged" });
    expect(running.logLines.filter((l) => l.includes("watch failed") && l.includes('"kind":"Gateway"'))).toHaveLength(1);
  });

  it("fails closed for an ambient target that needs a waypoint, and says the Gateway API is missing", async () => {
    await client.create(policy(ambientNs, "ledger-callers", l7));
    const refused = await waitForObject(client, resources.accessPolicy, "ledger-callers", ambientNs, (o) => hasCondition(o, "Ready", "False", "WaypointRequired"), "WaypointRequired");
    expect(conditionOf(refused, "Rendered")?.message).toContain("Gateway API CRDs");
    await waitForEvent(client, ambientNs, "ledger-callers", "WaypointRequired");
  });

  it("recovers by itself once the Gateway API CRDs and the waypoint appear", async () => {
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(gatewayApiFiles));
    await waitFor(async () => (running.operator.caches.gateways.availability === "served" ? true : undefined), { timeoutMs: 60_000, description: "the Gateway watch to start" });
    await client.create(waypointGateway(ambientNs, "waypoint"));
    await waitForObject(client, resources.accessPolicy, "ledger-callers", ambientNs, (o) => hasCondition(o, "Ready", "True"), "Ready with the waypoint", 60_000);
  });

  it("the credential gate answers the waypoint once the Gateway API CRDs and the waypoint appear", async () => {
    const fromWaypoint = { path: "/v1/items", destinationAddress: ambientLedgerAddress, headers: { "x-api-key": key } };
    const waypoint = `spiffe://cluster.local/ns/${ambientNs}/sa/waypoint`;
    // The Gateway watch is restarted with backoff (at most 10 s) after the kind was absent.
    await waitFor(async () => ((await checks.check(fromWaypoint, { xfcc: sidecarXfccFor(waypoint) })).status === 200 ? true : undefined), { timeoutMs: 60_000, description: "the gate to answer the waypoint" });
  });
});
