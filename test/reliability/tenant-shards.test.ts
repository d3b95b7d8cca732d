// A tenant named by a policy grows past the size budget of one AuthorizationPolicy and
// shrinks back. The shard count follows, no stale shard is left behind, and while the
// shards are rewritten the evaluator judges the live objects after every change a watch
// reports: once the rendering without the removed members starts to land (a shard with new
// content, or the final shards), no state of the live shards admits a
// removed member. The budget is set small so a tenant of 150 is enough.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { evaluateRequest, type AuthorizationPolicyObject } from "../../operator/evaluate/index.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { policyHashOf, recordedContentHash } from "../../operator/render/content-hash.js";
import { POLICY_LABEL } from "../../operator/render/metadata.js";
import { resources } from "../../operator/runtime/resources.js";
import { runPool } from "../../bench/pool.js";
import { judgeLivePolicies } from "../support/live-policies.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { convergence, describeProgress } from "./convergence.js";

const BUDGET_BYTES = 12 * 1024;
const SMALL = 20;
const LARGE = 150;
const PATHS = ["/ledger/*", "/reports/*"];

interface Snapshot {
  at: number;
  /** Shard name -> content hash. */
  hashes: Map<string, string>;
  shards: number;
  admittedRemoved: string[];
}

describe("a tenant growing past the shard budget and shrinking back", () => {
  let client: KubeClient;
  let running: TestOperator;
  let proxy: TcpProxy;
  const ns = uniqueName("rel-shards");
  const member = (i: number) => `member-${String(i).padStart(3, "0")}`;
  const principal = (i: number) => `cluster.local/ns/${ns}/sa/${member(i)}`;
  const selector = `${POLICY_LABEL}=vault-callers`;

  const liveShards = async () => (await client.list<KubeObject>(resources.authorizationPolicy, ns, selector)).items;
  const admits = (shards: KubeObject[], i: number) =>
    PATHS.some((p) =>
      evaluateRequest(shards as unknown as AuthorizationPolicyObject[], {
        source: { principal: principal(i) },
        workload: { namespace: ns, labels: { app: "vault" } },
        operation: { method: "GET", path: p.replace("*", "entries"), port: 8080 },
      }).allowed,
    );
  const policyStatus = async () => (await client.get<KubeObject & { status?: { policyHash?: string; rendered?: Array<{ kind: string; name: string }> } }>(resources.accessPolicy, "vault-callers", ns)).status;
  const settled = (description: string, check: (shards: KubeObject[]) => boolean) =>
    waitFor(async () => {
      const report = await convergence(client, [ns]);
      if (report.problems.length > 0) throw new Error(describeProgress(report));
      const shards = await liveShards();
      return check(shards) ? shards : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100, description });

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns, { "security.nexus.io/tenant": "acme" });
    const connection = inject("controlPlane");
    proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(connection.server).port) });
    const viaProxy = credentialsFor({ ...connection, server: `https://127.0.0.1:${proxy.port}` });
    running = await startTestOperator(await viaProxy.mintUserKubeconfig(uniqueName("operator-shards"), ["system:masters"]), { render: { shardBudgetBytes: BUDGET_BYTES } });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "vault", namespace: ns }, spec: { tenant: "acme", workloadSelector: { matchLabels: { app: "vault" } } } });
    await runPool(Array.from({ length: SMALL }, (_, i) => i), 8, (i) =>
      client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: member(i), namespace: ns }, spec: { tenant: "acme" } }),
    );
    await client.create({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: "vault-callers", namespace: ns },
      spec: { targetIdentity: "vault", rules: PATHS.map((path) => ({ from: [{ tenant: "acme" }], to: [{ methods: ["GET"], paths: [path] }] })) },
    });
    await settled("the small tenant rendered", (shards) => shards.length === 1 && admits(shards, SMALL - 1));
  });

  afterAll(async () => {
    await running?.stop();
    await proxy?.close();
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("adds shards as the tenant grows past the budget", async () => {
    await runPool(Array.from({ length: LARGE - SMALL }, (_, k) => SMALL + k), 8, (i) =>
      client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: member(i), namespace: ns }, spec: { tenant: "acme" } }),
    );
    const shards = await settled("every member admitted", (live) => admits(live, LARGE - 1) && Array.from({ length: LARGE }, (_, i) => i).every((i) => admits(live, i)));
    const status = await policyStatus();
    expect(shards.length).toBeGreaterThan(1);
    expect(status?.rendered?.filter((r) => r.kind === "AuthorizationPolicy").map((r) => r.name).sort()).toEqual(shards.map((s) => s.metadata.name).sort());
    expect(shards.every((s) => JSON.stringify(s.spec).length <= BUDGET_BYTES)).toBe(true);
    console.log(`tenant shards: ${LARGE} members in ${shards.length} shards of at most ${Math.max(...shards.map((s) => JSON.stringify(s).length))} bytes (budget ${BUDGET_BYTES})`);
  });

  it("drops shards as it shrinks back, never admitting a removed member once the new rendering lands", async () => {
    const removed = Array.from({ length: LARGE - SMALL }, (_, k) => SMALL + k);
    const snapshots: Snapshot[] = [];
    // Every state the shards go through, in order: a watch hands on each change, and the
    // evaluator judges the live set after each one.
    const live = new Map<string, KubeObject>();
    const judge = () => {
      const shards = [...live.values()];
      snapshots.push({
        at: performance.now(),
        hashes: new Map(shards.map((s) => [s.metadata.name, recordedContentHash(s) ?? ""])),
        shards: shards.length,
        admittedRemoved: removed.filter((i) => admits(shards, i)).map(member),
      });
    };
    const watch = await judgeLivePolicies(inject("kubeconfig"), client, ns, live, judge, selector);
    try {
      // The operator is cut off while the members leave, so it goes from the large rendering
      // to the small one in one step, and its write order alone decides what is admitted.
      proxy.cut();
      await runPool(removed, 8, (i) => client.mergePatch(resources.engineIdentity, member(i), ns, { spec: { tenant: "globex" } }, "rel-test"));
      proxy.restore();
      const shards = await settled("the tenant back to its small size", (current) => current.length === 1 && removed.every((i) => !admits(current, i)) && admits(current, 0));
      // The policy's version is the hash over its objects' content hashes, in its status only.
      expect((await policyStatus())?.policyHash).toBe(policyHashOf(shards));
      const finals = new Map(shards.map((s) => [s.metadata.name, recordedContentHash(s) ?? ""]));
      watch.stop();
      const beforeCut = snapshots[0]!;
      // Landed: a shard written with new content is live, or the live shards are the final ones.
      const isFinal = (s: Snapshot) => s.hashes.size === finals.size && [...s.hashes].every(([name, hash]) => finals.get(name) === hash);
      const landed = (s: Snapshot) => isFinal(s) || [...s.hashes].some(([name, hash]) => finals.get(name) === hash && beforeCut.hashes.get(name) !== hash);
      const firstFinal = snapshots.findIndex(landed);
      expect(firstFinal).toBeGreaterThanOrEqual(0);
      const violations = snapshots.slice(firstFinal).filter((s) => s.admittedRemoved.length > 0);
      console.log(
        `tenant shards: shrank to 1 shard; ${snapshots.length} states of the live shards judged by the evaluator (${snapshots.slice(0, firstFinal).filter((s) => s.admittedRemoved.length > 0).length} before the final rendering landed admitted removed members, as the operator had not caught up yet); ` +
          `${violations.length} after it did; shard counts seen ${[...new Set(snapshots.map((s) => s.shards))].join(" → ")}`,
      );
      expect(violations.map((s) => `${s.shards} shards, hashes ${[...s.hashes.values()].join(",")}: admits ${s.admittedRemoved.slice(0, 3).join(", ")}`)).toEqual([]);
    } finally {
      watch.stop();
    }
  });
});
