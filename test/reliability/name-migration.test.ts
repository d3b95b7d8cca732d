// Upgrading from the names used before 2026-12-04 (nexus-<p>-<n>, nexus-default-deny,
// nexus-strict-mtls, nexus-<id>-mtls) to the dotted ones. The objects an earlier operator
// left behind are created as it rendered them (its labels, its owner references, its
// per-object policy-hash annotation), then the operator starts. A watch hands on every state
// of the namespace's AuthorizationPolicies and the evaluator judges each one: no state admits
// a caller the policy does not name, none lets a request through to a workload that only the
// baseline covers (the allow-nothing object is never missing), and at the end only objects
// under the new names remain.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runPool } from "../../bench/pool.js";
import { judgeLivePolicies } from "../support/live-policies.js";
import { evaluateRequest, type AuthorizationPolicyObject } from "../../operator/evaluate/index.js";
import { BASELINE_LABEL, IDENTITY_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_LABEL, WORKLOAD_MTLS_LABEL } from "../../operator/render/metadata.js";
import { DEFAULT_DENY_NAME, legacyNames, policyObjectName, STRICT_MTLS_NAME, workloadMtlsName } from "../../operator/render/names.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, getOrUndefined, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { convergence, describeProgress } from "./convergence.js";

const CALLERS = 40;
const OUTSIDERS = 5;
const POLICY = "vault-callers";
const OLD_POLICY_HASH = "security.nexus.io/policy-hash";

interface Verdicts {
  at: number;
  names: string[];
  outsidersAdmitted: string[];
  baselineOnlyAdmitted: boolean;
}

describe("migrating rendered objects from the old names", () => {
  let client: KubeClient;
  let running: TestOperator | undefined;
  const ns = uniqueName("rel-names");
  const caller = (i: number) => `caller-${String(i).padStart(2, "0")}`;
  const outsider = (i: number) => `outsider-${i}`;
  const principal = (sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;
  const request = (sa: string, app: string) => ({ source: { principal: principal(sa) }, workload: { namespace: ns, labels: { app } }, operation: { method: "GET", path: "/secrets/x", port: 8200 } });
  const admits = (policies: KubeObject[], sa: string, app = "vault") => evaluateRequest(policies as unknown as AuthorizationPolicyObject[], request(sa, app)).allowed;

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
  });

  afterAll(async () => {
    await running?.stop();
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("writes the new objects before removing the old ones, never admitting more than the policy names, and removes every old one", async () => {
    const vault = await client.create<KubeObject>({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "vault", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "vault" } } } });
    await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "other", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "other" } } } });
    await runPool(Array.from({ length: CALLERS }, (_, i) => caller(i)), 8, (name) =>
      client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace: ns }, spec: {} }),
    );
    const policy = await client.create<KubeObject>({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: POLICY, namespace: ns },
      spec: { targetIdentity: "vault", mtls: "Permissive", rules: [{ from: Array.from({ length: CALLERS }, (_, i) => ({ identity: { name: caller(i) } })), to: [{ methods: ["GET"], paths: ["/secrets/*"] }] }] },
    });

    // What the previous version left: the policy in two shards (-1 by its counter), the
    // baseline and the workload PeerAuthentication under their old names.
    const owner = (o: KubeObject) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: true }];
    const policyMetadata = (name: string) => ({
      name,
      namespace: ns,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [POLICY_LABEL]: POLICY },
      annotations: { [OLD_POLICY_HASH]: "0".repeat(64), "security.nexus.io/source-generation": "1", "security.nexus.io/applied-hash": "0".repeat(32) },
      ownerReferences: owner(policy),
    });
    const shardSpec = (from: number, to: number) => ({
      selector: { matchLabels: { app: "vault" } },
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: Array.from({ length: to - from }, (_, k) => principal(caller(from + k))) } }], to: [{ operation: { methods: ["GET"], paths: ["/secrets/*"] } }] }],
    });
    const baselineLabels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [BASELINE_LABEL]: "true" };
    const old: KubeObject[] = [
      { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: policyMetadata(legacyNames.shard(POLICY, 0)), spec: shardSpec(0, CALLERS / 2) },
      { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: policyMetadata(legacyNames.shard(POLICY, 1)), spec: shardSpec(CALLERS / 2, CALLERS) },
      { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: legacyNames.defaultDeny, namespace: ns, labels: baselineLabels }, spec: {} },
      { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: legacyNames.strictMtls, namespace: ns, labels: baselineLabels }, spec: { mtls: { mode: "STRICT" } } },
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: legacyNames.workloadMtls("vault"), namespace: ns, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [IDENTITY_LABEL]: "vault", [WORKLOAD_MTLS_LABEL]: "true" }, ownerReferences: owner(vault) },
        spec: { selector: { matchLabels: { app: "vault" } }, mtls: { mode: "PERMISSIVE" } },
      },
    ];
    // Written as that operator wrote them: server-side apply with its field manager, so the
    // fields the new version no longer sets (the policy-hash annotation) are its to drop.
    for (const object of old) await client.apply(object);

    // Every state of the namespace's AuthorizationPolicies from here on, judged as it comes.
    const live = new Map<string, KubeObject>();
    const verdicts: Verdicts[] = [];
    const judge = () => {
      const policies = [...live.values()];
      verdicts.push({
        at: performance.now(),
        names: policies.map((p) => p.metadata.name).sort(),
        outsidersAdmitted: Array.from({ length: OUTSIDERS }, (_, i) => outsider(i)).filter((sa) => admits(policies, sa)),
        baselineOnlyAdmitted: admits(policies, caller(0), "other"),
      });
    };
    const watch = await judgeLivePolicies(inject("kubeconfig"), client, ns, live, judge);
    try {
      expect(verdicts[0]!.names).toEqual([legacyNames.defaultDeny, legacyNames.shard(POLICY, 0), legacyNames.shard(POLICY, 1)].sort());
      running = await startTestOperator(inject("kubeconfig"));
      await waitFor(
        async () => {
          const report = await convergence(client, [ns]);
          if (report.problems.length > 0) throw new Error(describeProgress(report));
          const gone = await Promise.all([
            getOrUndefined(client, resources.authorizationPolicy, legacyNames.shard(POLICY, 1), ns),
            getOrUndefined(client, resources.authorizationPolicy, legacyNames.defaultDeny, ns),
            getOrUndefined(client, resources.peerAuthentication, legacyNames.strictMtls, ns),
            getOrUndefined(client, resources.peerAuthentication, legacyNames.workloadMtls("vault"), ns),
          ]);
          return gone.every((o) => o === undefined) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, description: "the old objects removed and everything converged" },
      );
      // The watch delivers the last deletions shortly after the apiserver answers.
      await waitFor(async () => (live.has(legacyNames.defaultDeny) || live.has(legacyNames.shard(POLICY, 1)) ? undefined : true), { timeoutMs: 10_000, intervalMs: 50, description: "the watch saw the deletions" });
    } finally {
      watch.stop();
    }

    const final = [...live.values()];
    expect(final.map((p) => p.metadata.name).sort()).toEqual([DEFAULT_DENY_NAME, policyObjectName(POLICY)].sort());
    expect(Array.from({ length: CALLERS }, (_, i) => caller(i)).every((sa) => admits(final, sa))).toBe(true);
    const peers = (await client.list<KubeObject>(resources.peerAuthentication, ns)).items;
    expect(peers.map((p) => [p.metadata.name, (p.spec as { mtls: { mode: string } }).mtls.mode]).sort()).toEqual([[STRICT_MTLS_NAME, "STRICT"], [workloadMtlsName("vault"), "PERMISSIVE"]].sort());
    // The new objects carry their own content hash and no per-object policy hash.
    expect(final.every((p) => p.metadata.annotations?.["security.nexus.io/content-hash"] && p.metadata.annotations?.[OLD_POLICY_HASH] === undefined)).toBe(true);

    const wider = verdicts.filter((v) => v.outsidersAdmitted.length > 0 || v.baselineOnlyAdmitted);
    const sawBoth = verdicts.some((v) => v.names.includes(DEFAULT_DENY_NAME) && v.names.includes(legacyNames.defaultDeny));
    console.log(`name migration: ${verdicts.length} states of the AuthorizationPolicies judged; ${wider.length} wider than the policy; old and new baseline seen together: ${sawBoth}`);
    expect(wider.map((v) => `${v.names.join(",")}: outsiders ${v.outsidersAdmitted.join(",")}, baseline-only workload admitted ${v.baselineOnlyAdmitted}`)).toEqual([]);
    // The new allow-nothing object was written before the old one went.
    expect(sawBoth).toBe(true);
    expect(verdicts.every((v) => v.names.includes(DEFAULT_DENY_NAME) || v.names.includes(legacyNames.defaultDeny))).toBe(true);
  });
});
