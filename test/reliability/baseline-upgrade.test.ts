// Upgrading the namespace baseline from `spec: {}` (an ALLOW policy without rules, before
// 2026-12-04) to one ALLOW rule that no caller meets. istiod's proxyless gRPC generator drops
// a rule-less ALLOW policy (so the old form left gRPC workloads open); on sidecars and at
// ztunnel both forms admit nobody. The old object is left as the previous operator wrote it,
// then the operator starts: its level-triggered apply rewrites the object in place (same
// uid, never deleted), and a watch hands on every state of the namespace's
// AuthorizationPolicies to the evaluator: in none is a workload that only the baseline
// covers reachable, and the allow-nothing object is never missing.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { judgeLivePolicies } from "../support/live-policies.js";
import { evaluateRequest, type AuthorizationPolicyObject } from "../../operator/evaluate/index.js";
import { renderNamespaceBaseline } from "../../operator/policy/namespace-baseline.js";
import { NO_CALLER_PRINCIPAL } from "../../operator/policy/no-caller.js";
import { contentHashOf } from "../../operator/render/content-hash.js";
import { BASELINE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../operator/render/metadata.js";
import { DEFAULT_DENY_NAME } from "../../operator/render/names.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const API = "security.nexus.io/v1alpha1";

describe("upgrading the namespace baseline from an ALLOW policy without rules", () => {
  let client: KubeClient;
  let running: TestOperator | undefined;
  const ns = uniqueName("rel-baseline");
  const principal = (sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;
  // "lonely" is covered by the baseline only; "ledger" is the target of the one AccessPolicy.
  // The callers include the no-caller principal's path under the mesh's own trust domain.
  const callers = ["frontend", "lonely", "stranger", "default"].map(principal).concat([`cluster.local/ns/other/sa/frontend`, NO_CALLER_PRINCIPAL.replace("nexus.invalid", "cluster.local")]);
  const admitsToLonely = (policies: KubeObject[]) =>
    callers.filter((p) => evaluateRequest(policies as unknown as AuthorizationPolicyObject[], { source: { principal: p }, workload: { namespace: ns, labels: { app: "lonely" } }, operation: { method: "GET", path: "/", port: 8080 } }).allowed);

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
  });

  afterAll(async () => {
    await running?.stop();
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("rewrites the old baseline in place, with no state where a workload only the baseline covers is reachable", async () => {
    await client.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "ledger" } } } });
    await client.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "frontend", namespace: ns }, spec: {} });
    await client.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "ledger-callers", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "frontend" } }] }] } });

    // The baseline as the previous version rendered it: the same name and labels, `spec: {}`,
    // and the content hash of that content.
    const old: KubeObject = {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: DEFAULT_DENY_NAME, namespace: ns, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [BASELINE_LABEL]: "true" } },
      spec: {},
    };
    old.metadata.annotations = { "security.nexus.io/content-hash": contentHashOf(old) };
    const created = await client.apply(old);
    const [expected] = renderNamespaceBaseline(ns);
    expect(created.metadata.annotations?.["security.nexus.io/content-hash"]).not.toBe(expected!.metadata.annotations?.["security.nexus.io/content-hash"]);

    const live = new Map<string, KubeObject>();
    const states: Array<{ baseline: string; uid?: string; admitted: string[] }> = [];
    const judge = () => {
      const policies = [...live.values()];
      const baseline = live.get(DEFAULT_DENY_NAME);
      states.push({ baseline: baseline ? JSON.stringify(baseline.spec ?? {}) : "missing", uid: baseline?.metadata.uid, admitted: admitsToLonely(policies) });
    };
    const watch = await judgeLivePolicies(inject("kubeconfig"), client, ns, live, judge);
    const newSpec = JSON.stringify({ rules: [{ from: [{ source: { principals: [NO_CALLER_PRINCIPAL] } }] }] });
    try {
      expect(states[0]!.baseline).toBe("{}");
      running = await startTestOperator(inject("kubeconfig"));
      await waitFor(async () => (live.get(DEFAULT_DENY_NAME) && JSON.stringify(live.get(DEFAULT_DENY_NAME)!.spec) === newSpec && live.has("nexus-ledger-callers") ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 100,
        description: "the baseline rewritten and the policy rendered",
      });
    } finally {
      watch.stop();
    }

    console.log(`baseline upgrade: ${states.length} states of the AuthorizationPolicies judged`);
    // Never missing, never replaced by a new object (same uid), and the new form at the end.
    expect(states.filter((s) => s.baseline === "missing")).toEqual([]);
    expect(new Set(states.map((s) => s.uid))).toEqual(new Set([created.metadata.uid]));
    expect(states.map((s) => s.baseline)).toContain(newSpec);
    // No state admits anyone to the workload only the baseline covers.
    expect(states.filter((s) => s.admitted.length > 0)).toEqual([]);
    const final = live.get(DEFAULT_DENY_NAME)!;
    expect(final.metadata.annotations?.["security.nexus.io/content-hash"]).toBe(expected!.metadata.annotations?.["security.nexus.io/content-hash"]);
  });
});
