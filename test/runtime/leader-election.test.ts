// Two operator processes against the real apiserver: exactly one writes; when the leader is
// killed the other takes over within the lease duration; a graceful stop hands the lease
// on at once. Writes are attributed to each process by its own user in the audit log.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { readAuditEvents } from "../controlplane/audit.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForObject } from "../support/kube.js";
import { startOperatorProcess, type OperatorProcess } from "../support/operator-process.js";

const LEASE_SECONDS = 15;
const RETRY_SECONDS = 2;

describe("leader election", () => {
  let client: KubeClient;
  const ns = uniqueName("le");
  const leaseName = uniqueName("nexus-operator");
  const users = { a: uniqueName("operator-a"), b: uniqueName("operator-b") };
  let a: OperatorProcess;
  let b: OperatorProcess;

  const args = async (user: string) => [
    "--kubeconfig",
    await credentialsFor(inject("controlPlane")).mintUserKubeconfig(user, ["system:masters"]),
    "--leader-elect",
    "--leader-election-namespace",
    ns,
    "--leader-election-id",
    leaseName,
    "--metrics-bind-address",
    "127.0.0.1:0",
    "--health-probe-bind-address",
    "127.0.0.1:0",
  ];

  async function writesBy(user: string): Promise<string[]> {
    return (await readAuditEvents(inject("auditLogPath")))
      .filter((e) => e.user.username === user && e.objectRef?.resource !== "leases" && e.objectRef?.namespace === ns)
      .map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name}`);
  }

  async function holder(): Promise<string | undefined> {
    const lease = await client.get<KubeObject & { spec: { holderIdentity?: string } }>(resources.lease, leaseName, ns);
    return lease.spec.holderIdentity;
  }

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
    a = startOperatorProcess(await args(users.a));
    await a.waitForLog("became leader");
    b = startOperatorProcess(await args(users.b));
    await b.waitForLog("serving probes and metrics");
  });

  afterAll(async () => {
    await a?.kill("SIGKILL");
    await b?.kill("SIGKILL");
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("lets only the leader write", async () => {
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "first", namespace: ns }, spec: {} });
    await waitForObject(client, resources.engineIdentity, "first", ns, (o) => hasCondition(o, "Ready", "True"), "identity Ready");
    expect(await writesBy(users.a)).toContain("patch serviceaccounts/first");
    expect(await writesBy(users.b)).toEqual([]);
    expect(b.lines.some((l) => l.includes("became leader"))).toBe(false);
  });

  it("hands over within the lease duration when the leader dies without a word", async () => {
    const killedAt = Date.now();
    await a.kill("SIGKILL");
    await b.waitForLog("became leader", (LEASE_SECONDS + 2 * RETRY_SECONDS + 5) * 1000);
    const takeoverSeconds = (Date.now() - killedAt) / 1000;
    // A candidate sees the last renewal up to one retry period late (it polls) and sees the
    // expiry up to one retry period late: the bound client-go gives too.
    expect(takeoverSeconds).toBeLessThanOrEqual(LEASE_SECONDS + 2 * RETRY_SECONDS);
    console.log(`leader election: takeover ${takeoverSeconds.toFixed(1)} s after SIGKILL (lease ${LEASE_SECONDS} s, retry ${RETRY_SECONDS} s)`);
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "second", namespace: ns }, spec: {} });
    await waitForObject(client, resources.engineIdentity, "second", ns, (o) => hasCondition(o, "Ready", "True"), "identity Ready under the new leader");
    expect(await writesBy(users.b)).toContain("patch serviceaccounts/second");
  });

  it("releases the lease on SIGTERM and exits cleanly", async () => {
    expect(await holder()).toMatch(/.+/);
    const code = await b.kill("SIGTERM");
    expect(code).toBe(0);
    await waitFor(async () => ((await holder()) === "" ? true : undefined), { timeoutMs: 5_000, description: "lease released" });
  });
});
