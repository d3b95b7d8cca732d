// The cluster-facing commands against the real apiserver with the operator running:
// `nexus diff` (no difference once applied, a unified diff and exit 1 after a change,
// read-only), `nexus check --live` (on sidecars, and on ambient through a waypoint or without
// one), and `nexus test` on the examples' access tests through the installed binary, as CI runs it.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { readAuditEvents, WRITE_VERBS } from "../controlplane/audit.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { adminClient, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { nexus, nexusProcess, repoRoot } from "./support/run-cli.js";

const CLI_USER = "nexus-cli-under-test";

describe("nexus diff, check --live and test against a real cluster", () => {
  let client: KubeClient;
  let running: TestOperator;
  let dir: string;
  let cliKubeconfig: string;
  const ns = uniqueName("cli");
  // Ambient: one namespace with a waypoint and the target's Service, one without a waypoint.
  const ambientNs = uniqueName("cli-ambient");
  const bareNs = uniqueName("cli-bare");
  const ambientObjects = (namespace: string, withWaypoint: boolean): KubeObject[] => [
    ...(withWaypoint
      ? [{ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint", namespace }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } }]
      : []),
    { apiVersion: "v1", kind: "Service", metadata: { name: "stock", namespace }, spec: { selector: { app: "stock" }, ports: [{ name: "http", port: 8080 }] } },
    { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "stock", namespace }, spec: { workloadSelector: { matchLabels: { app: "stock" } } } },
    {
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: "stock-readers", namespace },
      spec: { targetIdentity: "stock", rules: [{ from: [{ identity: { name: "checkout", namespace: ns } }], to: [{ methods: ["GET"], paths: ["/v1/stock"] }] }] },
    },
  ];
  const manifests = (paths: string[]): KubeObject[] => [
    { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { tenant: `acme-${ns}`, workloadSelector: { matchLabels: { app: "ledger" } } } },
    { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "checkout", namespace: ns }, spec: { tenant: `acme-${ns}`, workloadSelector: { matchLabels: { app: "checkout" } } } },
    {
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: ns },
      spec: { targetIdentity: "ledger", rules: [{ from: [{ tenant: `acme-${ns}` }], to: [{ methods: ["GET", "POST"], paths }] }] },
    },
  ];
  const writeManifests = (file: string, objects: KubeObject[]) => writeFile(file, objects.map((o) => `---\n${yaml.dump(o)}`).join(""));

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    dir = await mkdtemp(path.join(tmpdir(), "nexus-cli-"));
    // The administrators' tenant label makes the namespace's identities members of the tenant.
    await createNamespace(client, ns, { "security.nexus.io/tenant": `acme-${ns}` });
    // A user of its own, so the audit log shows exactly which requests the CLI made.
    cliKubeconfig = await credentialsFor(inject("controlPlane")).mintUserKubeconfig(CLI_USER, ["system:masters"]);
    running = await startTestOperator(inject("kubeconfig"));
    for (const object of manifests(["/v1/entries"])) await client.create(object);
    await waitForObject(client, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Ready", "True"), "policy Ready");
    for (const [namespace, withWaypoint] of [[ambientNs, true], [bareNs, false]] as const) {
      await createNamespace(client, namespace, { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
      for (const object of ambientObjects(namespace, withWaypoint)) await client.create(object);
    }
    await waitForObject(client, resources.accessPolicy, "stock-readers", ambientNs, (o) => hasCondition(o, "Ready", "True"), "ambient policy Ready");
    await waitForObject(client, resources.accessPolicy, "stock-readers", bareNs, (o) => hasCondition(o, "Rendered", "False", "WaypointRequired"), "policy without a waypoint refused");
    await running.operator.idle();
  });

  afterAll(async () => {
    await running?.stop();
    for (const namespace of [ns, ambientNs, bareNs]) await deleteNamespace(client, namespace).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("diff finds no difference for what is applied, and only reads", async () => {
    const file = path.join(dir, "applied.yaml");
    await writeManifests(file, manifests(["/v1/entries"]));
    const result = await nexus(["diff", "-f", file, "--kubeconfig", cliKubeconfig]);
    expect(result.stderr).toContain("no differences");
    expect(result.stdout).toBe("");
    expect(result.code).toBe(0);
    // The audit log records every write; the CLI's user must have made none.
    const events = await readAuditEvents(inject("auditLogPath"));
    expect(events.filter((e) => e.user?.username === CLI_USER && (WRITE_VERBS as readonly string[]).includes(e.verb))).toEqual([]);
  });

  it("diff shows a changed policy as a unified diff and exits 1, whatever the output format", async () => {
    const file = path.join(dir, "changed.yaml");
    await writeManifests(file, manifests(["/v1/entries", "/v1/entries/*"]));
    const text = await nexus(["diff", "-f", file, "--kubeconfig", cliKubeconfig]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`--- live/security.istio.io/v1/AuthorizationPolicy/${ns}/nexus-ledger-callers`);
    expect(text.stdout).toMatch(/^\+\s+- \/v1\/entries\/\*$/m);
    // The object's own version changes with its content; the source generation alone is no change.
    expect(text.stdout).toMatch(/^[-+]\s+security.nexus.io\/content-hash: [0-9a-f]{64}$/m);
    expect(text.stdout).not.toMatch(/^[-+]\s+security.nexus.io\/source-generation/m);
    const json = await nexus(["diff", "-f", file, "--kubeconfig", cliKubeconfig, "-o", "json"]);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as Array<{ kind: string; id: string }>).map((c) => c.kind)).toEqual(["changed"]);
  });

  it("diff shows objects a removed rule no longer renders as removed, and an unreachable cluster as exit 3", async () => {
    const file = path.join(dir, "no-target.yaml");
    const objects = manifests(["/v1/entries"]);
    (objects[2]!.spec as { targetIdentity?: string }).targetIdentity = "ghost";
    await writeManifests(file, objects);
    const result = await nexus(["diff", "-f", file, "--kubeconfig", cliKubeconfig, "-o", "json"]);
    expect(result.code).toBe(1);
    const kinds = (JSON.parse(result.stdout) as Array<{ kind: string; id: string }>).filter((c) => c.id.includes("nexus-ledger-callers"));
    expect(kinds.map((c) => c.kind)).toContain("removed");

    const broken = path.join(dir, "unreachable.kubeconfig");
    const config = yaml.load(await readFile(cliKubeconfig, "utf8")) as { clusters: Array<{ cluster: { server: string } }> };
    config.clusters[0]!.cluster.server = "https://127.0.0.1:1";
    await writeFile(broken, yaml.dump(config));
    const unreachable = await nexus(["diff", "-f", file, "--kubeconfig", broken]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain("cannot list");
  });

  it("check --live answers from the policies in force and traces the rule to its AccessPolicy", async () => {
    const allowed = await nexus(["check", "--live", "--kubeconfig", cliKubeconfig, "--from", `${ns}/checkout`, "--to", `${ns}/ledger`, "--method", "POST", "--path", "/v1/entries", "-o", "json"]);
    expect(allowed.code).toBe(0);
    const report = JSON.parse(allowed.stdout) as { decision: string; decidedBy: { policy: string; from: string } };
    expect(report.decision).toBe("ALLOW");
    expect(report.decidedBy.policy).toBe(`${ns}/nexus-ledger-callers`);
    expect(report.decidedBy.from).toBe(`AccessPolicy ${ns}/ledger-callers rules[0] from [0] tenant: acme-${ns}`);
    const denied = await nexus(["check", "--live", "--kubeconfig", cliKubeconfig, "--from", `${ns}/checkout`, "--to", `${ns}/ledger`, "--method", "DELETE", "--path", "/v1/entries"]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/^DENY: /);
  });

  it("check --live judges an ambient target on both hops, from the cluster's objects, Services and waypoint Gateways", async () => {
    const through = await nexus(["check", "--live", "--kubeconfig", cliKubeconfig, "--from", `${ns}/checkout`, "--to", `${ambientNs}/stock`, "--path", "/v1/stock", "-o", "json"]);
    expect(through.code).toBe(0);
    expect(JSON.parse(through.stdout)).toMatchObject({
      decision: "ALLOW",
      decidedBy: { policy: `${ambientNs}/nexus-stock-readers.waypoint`, from: `AccessPolicy ${ambientNs}/stock-readers rules[0] from [0] identity: ${ns}/checkout` },
      dataPlane: {
        name: "ambient",
        waypoint: { gateway: `${ambientNs}/waypoint`, service: "stock" },
        hops: { waypoint: { decision: "ALLOW" }, ztunnel: { decision: "ALLOW", policy: `${ambientNs}/nexus-stock-readers.ztunnel rules[0]` } },
      },
    });
    // The objects in force judged as a sidecar would: the ambient form binds nothing a sidecar reads, so the baseline denies.
    const asSidecar = await nexus(["check", "--live", "--kubeconfig", cliKubeconfig, "--from", `${ns}/checkout`, "--to", `${ambientNs}/stock`, "--path", "/v1/stock", "--data-plane", "sidecar"]);
    expect(asSidecar.code).toBe(1);

    const refused = await nexus(["check", "--live", "--kubeconfig", cliKubeconfig, "--from", `${ns}/checkout`, "--to", `${bareNs}/stock`, "--path", "/v1/stock"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^DENY \(WaypointRequired\): /);
    expect(refused.stdout).toContain(`WaypointRequired: AccessPolicy ${bareNs}/stock-readers: `);
    // Only reads: the audit log shows no write by the CLI's user.
    const events = await readAuditEvents(inject("auditLogPath"));
    expect(events.filter((e) => e.user?.username === CLI_USER && (WRITE_VERBS as readonly string[]).includes(e.verb))).toEqual([]);
  });

  it("diff renders an ambient namespace with the cluster's Services and waypoint: no difference from what the operator wrote", async () => {
    const file = path.join(dir, "ambient.yaml");
    // Only the sources: the data plane comes from the cluster's Namespace labels, Service and Gateway.
    await writeManifests(file, ambientObjects(ambientNs, true).filter((o) => o.apiVersion === "security.nexus.io/v1alpha1"));
    const result = await nexus(["diff", "-f", file, "--kubeconfig", cliKubeconfig]);
    expect(result.stderr).toContain("no differences");
    expect(result.code).toBe(0);
  });

  it("nexus test passes the examples' access tests through the installed binary, and fails a wrong expectation with its explanation", async () => {
    const examples = await nexusProcess(["test", "-f", "examples/", "--expect", "examples/tests/access.yaml"]);
    expect(examples.stderr).toContain("14 of 14 access tests passed");
    expect(examples.code).toBe(0);

    const wrong = path.join(dir, "wrong.yaml");
    await writeFile(wrong, yaml.dump({ cases: [{ name: "billing may post", from: "payments/billing", to: "payments/ledger", request: { method: "POST", path: "/v1/entries" }, expect: "allow" }] }));
    const failed = await nexusProcess(["test", "-f", path.join(repoRoot, "examples"), "--expect", wrong]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("FAIL billing may post: expected allow, got DENY");
    expect(failed.stdout).toContain("left out: AccessPolicy payments/ledger-callers: rules[0].from[2]");
  });
});
