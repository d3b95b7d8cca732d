// The operator is killed (SIGKILL, no chance to finish anything) in the middle of its first
// sync of 1,000 EngineIdentities and 1,000 AccessPolicies, and started again: everything
// converges, nothing is duplicated or left stale, and once converged it writes nothing —
// neither the restarted process nor a third one that reconciles every object again. Each
// process runs as its own user, so the audit log tells whose writes are whose.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parsePrometheus, sumOf } from "../../bench/operator-process.js";
import { runPool } from "../../bench/pool.js";
import { buildWorkload } from "../../bench/workload.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { waitFor } from "../controlplane/wait.js";
import { AuditTail, countByKind } from "../support/audit-tail.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { startOperatorProcess, type OperatorProcess } from "../support/operator-process.js";
import { convergence, describeProgress } from "./convergence.js";

const SIZE = 1_000;
/** Writes the first process gets to make before it is killed: well into its first sync. */
const WRITES_BEFORE_KILL = 1_200;

/** Every object reconciled successfully at least once by this process, and nothing queued. */
function idleAfterReconcilingAll(m: Map<string, number>): boolean {
  const reconciled = (controller: string) =>
    [...m].filter(([key]) => key.startsWith("controller_runtime_reconcile_total{") && key.includes(`controller="${controller}"`) && key.includes('result="success"')).reduce((sum, [, v]) => sum + v, 0);
  return reconciled("accesspolicy") >= SIZE && reconciled("engineidentity") >= SIZE && sumOf(m, "workqueue_depth") === 0;
}

describe("operator killed in the middle of its first sync", () => {
  let client: KubeClient;
  const workload = buildWorkload({ size: SIZE, perNamespace: 250, namespacesPerTenant: 2, namespacePrefix: uniqueName("rel-kill") });
  const users = { first: uniqueName("operator-killed"), second: uniqueName("operator-restarted"), third: uniqueName("operator-third") };
  const audit = new AuditTail(inject("auditLogPath"));
  const processes: OperatorProcess[] = [];

  const start = async (user: string) => {
    const kubeconfig = await credentialsFor(inject("controlPlane")).mintUserKubeconfig(user, ["system:masters"]);
    const operator = startOperatorProcess(["--kubeconfig", kubeconfig, "--metrics-bind-address", "127.0.0.1:0", "--metrics-auth", "none", "--health-probe-bind-address", "127.0.0.1:0"]);
    processes.push(operator);
    const { metricsPort } = (await operator.waitForLog("serving probes and metrics", 60_000)) as { metricsPort: number };
    return { operator, metrics: async () => parsePrometheus(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()) };
  };

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    for (const ns of workload.namespaces) await createNamespace(client, ns, { "security.nexus.io/tenant": workload.namespaceTenants.get(ns)! });
    const created = Date.now();
    await runPool(workload.identities, 16, (o) => client.create(o as unknown as KubeObject));
    await runPool(workload.policies, 16, (o) => client.create(o as unknown as KubeObject));
    console.log(`kill mid-sync: created ${SIZE} + ${SIZE} objects in ${((Date.now() - created) / 1000).toFixed(1)} s`);
  }, 240_000);

  afterAll(async () => {
    for (const p of processes) await p.kill("SIGKILL");
    for (const ns of workload.namespaces) await deleteNamespace(client, ns).catch(() => {});
    client?.close();
  });

  it("converges after a restart, with nothing duplicated or stale, then writes nothing", async () => {
    const began = Date.now();
    const progress = (what: string) => console.error(`kill mid-sync: ${what} at ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const startMark = await audit.mark();
    const first = await start(users.first);
    await first.operator.waitForLog("controllers started", 60_000);
    const writesAtKill = await waitFor(async () => {
      const writes = await audit.since(startMark, users.first);
      return writes.length >= WRITES_BEFORE_KILL ? writes.length : undefined;
    }, { timeoutMs: 120_000, intervalMs: 100, description: `${WRITES_BEFORE_KILL} writes by the first operator` });
    await first.operator.kill("SIGKILL");
    progress(`first operator killed after ${writesAtKill} writes`);
    const atKill = await convergence(client, workload.namespaces);
    expect(atKill.readyPolicies + atKill.readyIdentities).toBeLessThan(2 * SIZE); // killed mid-sync, not after it

    const restartedAt = Date.now();
    const second = await start(users.second);
    // Watching its metrics is cheap; the full read of 2,000 objects follows once it is idle.
    await waitFor(async () => (idleAfterReconcilingAll(await second.metrics()) ? true : undefined), { timeoutMs: 180_000, intervalMs: 500, description: "the restarted operator to work through every object" });
    const converged = await waitFor(async () => {
      const report = await convergence(client, workload.namespaces);
      if (report.problems.length > 0) throw new Error(describeProgress(report));
      return report;
    }, { timeoutMs: 180_000, intervalMs: 2_000, description: "convergence after the restart" });
    const convergedMark = await audit.mark();
    progress("converged after the restart");
    const convergeSeconds = (Date.now() - restartedAt) / 1000;
    expect(converged.readyIdentities).toBe(SIZE);
    expect(converged.readyPolicies).toBe(SIZE);
    const secondWrites = await audit.since(startMark, users.second);

    // Graceful stop: whatever it still had to write, it writes or drops now.
    expect(await second.operator.kill("SIGTERM")).toBe(0);
    const afterConvergence = (await audit.since(convergedMark, users.second)).filter((e) => e.objectRef?.resource !== "events");

    // A third process reconciles every object again; there is nothing left for it to do.
    const thirdMark = await audit.mark();
    progress("second operator stopped");
    const third = await start(users.third);
    await waitFor(async () => (idleAfterReconcilingAll(await third.metrics()) ? true : undefined), { timeoutMs: 120_000, intervalMs: 250, description: "the third operator to reconcile every object" });
    expect(await third.operator.kill("SIGTERM")).toBe(0);
    const thirdWrites = await audit.since(thirdMark, users.third);
    const final = await convergence(client, workload.namespaces);

    console.log(
      `kill mid-sync: killed after ${writesAtKill} writes (${atKill.readyIdentities} identities, ${atKill.readyPolicies} policies Ready then); ` +
        `restarted process converged in ${convergeSeconds.toFixed(1)} s with ${secondWrites.length} writes ${JSON.stringify(countByKind(secondWrites))}; ` +
        `object/status writes after convergence ${afterConvergence.length}; third process writes ${thirdWrites.length}; ${final.renderedObjects} rendered objects`,
    );
    expect(afterConvergence.map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name}`)).toEqual([]);
    expect(thirdWrites.map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name}`)).toEqual([]);
    expect(final.problems).toEqual([]);
  }, 300_000);
});
