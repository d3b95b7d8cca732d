// The apiserver answers the operator with 429 (Retry-After, as API Priority and Fairness
// does), 500 and 503 for a while, through an HTTP-aware proxy that sees every request the
// operator sends. While the fault lasts each failing write is retried with a growing
// backoff, not in a hot loop (counted per object and in total); once it ends, every edit
// made meanwhile is rendered.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { startHttpFaultProxy, type HttpFaultProxy, type InjectedFault } from "../support/http-fault-proxy.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { convergence, describeProgress, principalsOf } from "./convergence.js";

const POLICIES = 10;
/**
 * Refused attempts per rendered object before the fault is lifted: enough to see the backoff
 * grow past what a loaded machine adds to every attempt. With nine, the last delay is at
 * least 640 ms, so the longest gap stays above four times the first while each attempt's own
 * latency (the operator's queueing under CPU load) is below 200 ms; with seven, 75 ms of it
 * was enough to hide the doubling.
 */
const REFUSALS_PER_OBJECT = 9;
const FAULTS: InjectedFault[] = [{ status: 429, retryAfterSeconds: 1 }, { status: 500 }, { status: 503 }];

const name = (i: number) => `engine-${i % POLICIES}`;

describe("apiserver answering 429 and 5xx for a while", () => {
  let client: KubeClient;
  let proxy: HttpFaultProxy;
  let running: TestOperator;
  const ns = uniqueName("rel-faults");

  const converged = (check: (report: Awaited<ReturnType<typeof convergence>>) => Promise<boolean>, description: string, timeoutMs: number) =>
    waitFor(async () => {
      const report = await convergence(client, [ns]);
      if (report.problems.length > 0) throw new Error(describeProgress(report));
      return (await check(report)) ? report : undefined;
    }, { timeoutMs, intervalMs: 200, description });

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
    proxy = await startHttpFaultProxy(inject("controlPlane"), uniqueName("operator-faults"), ["system:masters"]);
    running = await startTestOperator(proxy.kubeconfigPath, { logLevel: "info" });
    for (let i = 0; i < POLICIES; i++) {
      await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: name(i), namespace: ns }, spec: { workloadSelector: { matchLabels: { app: name(i) } } } });
    }
    for (let i = 0; i < POLICIES; i++) {
      await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: name(i), namespace: ns }, spec: { targetIdentity: name(i), rules: [{ from: [{ identity: { name: name(i + 1) } }] }] } });
    }
    await converged(async (r) => r.readyPolicies === POLICIES, "first convergence", 60_000);
  });

  afterAll(async () => {
    await running?.stop();
    await proxy?.close();
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("backs off while refused and renders every edit once the apiserver recovers", async () => {
    const apPath = (i: number) => `/apis/security.istio.io/v1/namespaces/${ns}/authorizationpolicies/nexus-${name(i)}?`;
    let n = 0;
    proxy.inject(() => FAULTS[n++ % FAULTS.length]);
    const faultFrom = performance.now();
    const firstRequest = proxy.requests.length;
    // Edits the operator sees on its open watch but cannot write while refused.
    for (let i = 0; i < POLICIES; i++) {
      await client.mergePatch(resources.accessPolicy, name(i), ns, { spec: { rules: [{ from: [{ identity: { name: name(i + 1) } }, { identity: { name: name(i + 2) } }] }] } }, "rel-test");
    }
    const attemptsOf = (i: number) => proxy.requests.slice(firstRequest).filter((r) => r.method === "PATCH" && r.path.startsWith(apPath(i)));
    await waitFor(async () => (Array.from({ length: POLICIES }, (_, i) => attemptsOf(i).length).every((c) => c >= REFUSALS_PER_OBJECT) ? true : undefined), {
      timeoutMs: 60_000,
      description: `${REFUSALS_PER_OBJECT} refused writes of every rendered AuthorizationPolicy`,
    });
    proxy.inject(undefined);
    const faultTo = performance.now();
    const window = proxy.requests.slice(firstRequest).filter((r) => r.at <= faultTo);
    const windowMs = faultTo - faultFrom;

    // Backoff per object: the delay doubles per attempt (with at most 2x jitter), so the later
    // half of the gaps is several times the earlier half even with request latency added to
    // each; a hot loop keeps them alike. Halves compared by their medians, so one gap
    // stretched by a busy machine, or one early retry after an event the operator saw
    // meanwhile (a watch that reconnects and lists again), cannot decide it either way.
    const perObject: number[] = [];
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    for (let i = 0; i < POLICIES; i++) {
      const times = attemptsOf(i).filter((r) => r.at <= faultTo).map((r) => r.at);
      perObject.push(times.length);
      const gaps = times.slice(1).map((t, k) => t - times[k]!);
      const half = Math.floor(gaps.length / 2);
      expect(median(gaps.slice(-half)), `gaps of ${name(i)}: ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`).toBeGreaterThanOrEqual(2 * median(gaps.slice(0, half)));
    }
    // All requests, every kind: each failing object costs a write and a status write per
    // attempt, and the attempts within the window grow with its logarithm.
    const bound = POLICIES * 2 * (2 + Math.ceil(Math.log2(windowMs / 10))) + 20;
    expect(window.length).toBeLessThanOrEqual(bound);
    expect(window.filter((r) => r.injected).length).toBe(window.length);

    const recoveredFrom = performance.now();
    await converged(async () => {
      for (let i = 0; i < POLICIES; i++) {
        const ap = await client.get(resources.authorizationPolicy, `nexus-${name(i)}`, ns);
        if (principalsOf(ap).length !== 2) return false;
      }
      return true;
    }, "every edit rendered after the fault", 60_000);
    const recoverySeconds = (performance.now() - recoveredFrom) / 1000;
    const kinds: Record<string, number> = {};
    for (const r of window) {
      const resource = /\/namespaces\/[^/]+\/([^/?]+)(?:\/[^/?]+(\/status)?)?/.exec(r.path);
      const key = `${r.method} ${resource ? `${resource[1]}${resource[2] ?? ""}` : r.path.replace(/\?.*/, "")}`;
      kinds[key] = (kinds[key] ?? 0) + 1;
    }
    console.log(
      `apiserver faults: ${(windowMs / 1000).toFixed(1)} s of 429/500/503, ${window.length} requests refused (bound ${bound}, ${(window.length / (windowMs / 1000)).toFixed(1)}/s), ` +
        `attempts per AuthorizationPolicy ${Math.min(...perObject)}-${Math.max(...perObject)}, by kind ${JSON.stringify(kinds)}; every edit rendered ${recoverySeconds.toFixed(1)} s after the fault ended`,
    );
  });
});
