// Another controller keeps rewriting a rendered AuthorizationPolicy under its own field
// manager. The operator restores it after every change, but spaces repeated repairs of the
// same object out (doubling from 1s), so the fight costs a bounded number of writes per
// minute; each other writer is named in one Warning Event, not one per repair. Writes are
// counted and timed from the apiserver's audit log.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DRIFT_REASON } from "../../operator/access/drift-repairs.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { waitFor } from "../controlplane/wait.js";
import { AuditTail } from "../support/audit-tail.js";
import { adminClient, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { principalsOf } from "./convergence.js";

const ROUNDS = 5;
const FIRST_HOLD_OFF_MS = 1_000;
const MAX_HOLD_OFF_MS = 30_000;
const INTRUDER = "cluster.local/ns/elsewhere/sa/intruder";

interface EventObject extends KubeObject {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

describe("a competing writer on a rendered object", () => {
  let client: KubeClient;
  let running: TestOperator;
  const ns = uniqueName("rel-fight");
  const operatorUser = uniqueName("operator-fight");
  const audit = new AuditTail(inject("auditLogPath"));
  const apName = "nexus-ledger-callers";
  let rendered: string[];

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
    running = await startTestOperator(await credentialsFor(inject("controlPlane")).mintUserKubeconfig(operatorUser, ["system:masters"]), { logLevel: "info" });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "ledger" } } } });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "checkout", namespace: ns }, spec: {} });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "ledger-callers", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "checkout" } }] }] } });
    await waitForObject(client, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Ready", "True"), "policy Ready");
    rendered = principalsOf(await client.get(resources.authorizationPolicy, apName, ns));
    expect(rendered).toEqual([`cluster.local/ns/${ns}/sa/checkout`]);
  });

  afterAll(async () => {
    await running?.stop();
    await deleteNamespace(client, ns);
    client?.close();
  });

  const intrude = (manager: string) =>
    client.mergePatch(resources.authorizationPolicy, apName, ns, { spec: { rules: [{ from: [{ source: { principals: [INTRUDER] } }] }] } }, manager);

  const driftEvents = async () =>
    (await client.getRaw<{ items: EventObject[] }>(`/api/v1/namespaces/${ns}/events`)).items.filter((e) => e.reason === DRIFT_REASON && e.involvedObject.name === "ledger-callers");

  it("restores every change, with repairs spaced out and one Warning Event naming the writer", async () => {
    const start = await audit.mark();
    const startedAt = Date.now();
    for (let round = 1; round <= ROUNDS; round++) {
      const changed = await intrude("rogue-controller");
      expect(principalsOf(changed)).toEqual([INTRUDER]);
      await waitForObject(client, resources.authorizationPolicy, apName, ns, (o) => principalsOf(o).join() === rendered.join(), `repair ${round}`, MAX_HOLD_OFF_MS + 10_000);
    }
    const fightSeconds = (Date.now() - startedAt) / 1000;
    const repairs = (await audit.since(start, operatorUser)).filter((e) => e.objectRef?.resource === "authorizationpolicies" && e.objectRef.name === apName && e.verb === "patch");
    // One write per change: nothing is repaired twice, no change is left standing.
    expect(repairs.map((e) => e.responseStatus?.code)).toEqual(Array(ROUNDS).fill(200));
    const times = repairs.map((e) => Date.parse(e.requestReceivedTimestamp));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(Math.min(MAX_HOLD_OFF_MS, FIRST_HOLD_OFF_MS * 2 ** i) - 100));
    // The hold-off doubles up to 30s, so a minute of fighting costs at most this many writes.
    let perMinute = 0;
    for (let elapsed = 0; elapsed <= 60_000; perMinute++) elapsed += Math.min(MAX_HOLD_OFF_MS, FIRST_HOLD_OFF_MS * 2 ** perMinute);
    console.log(
      `competing writer: ${ROUNDS} changes, ${repairs.length} repairs in ${fightSeconds.toFixed(1)} s, gaps ${gaps.map((g) => (g / 1000).toFixed(2)).join(", ")} s; ` +
        `bound ${perMinute} repairs in any minute of fighting`,
    );

    const events = await waitFor(async () => ((await driftEvents()).length > 0 ? driftEvents() : undefined), { timeoutMs: 15_000, description: "the drift Warning Event" });
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe("Warning");
    expect(events[0]!.message).toContain(`AuthorizationPolicy ${apName} was changed by field manager "rogue-controller"`);
  });

  it("names a second writer in an Event of its own", async () => {
    await intrude("other-script");
    const events = await waitFor(async () => {
      const found = await driftEvents();
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 15_000, description: "a Warning Event naming the second writer" });
    expect(events.map((e) => /field manager "([^"]+)"/.exec(e.message)?.[1]).sort()).toEqual(["other-script", "rogue-controller"]);
  });
});
