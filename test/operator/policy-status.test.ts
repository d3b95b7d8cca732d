// Honest AccessPolicy status against the real apiserver: a rendering too large to write is
// reported (Rendered=False TooLarge, one Warning Event) and fails closed by removing the
// policy's earlier Allow objects; with sharding the same policy is written in pieces and
// shrinks back without a stale shard; a Deny never claims to enforce what it cannot.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import {
  adminClient,
  conditionOf,
  createNamespace,
  deleteNamespace,
  eventsFor,
  getOrUndefined,
  hasCondition,
  uniqueName,
  waitForEvent,
  waitForGone,
  waitForObject,
} from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { contentHashOf, policyHashOf } from "../../operator/render/content-hash.js";

const API_VERSION = "security.nexus.io/v1alpha1";
// Long names make long principals, so a few hundred members are megabytes over 64 rules.
const MEMBERS = 260;
const RULES = 64;

function identity(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: "EngineIdentity", metadata: { name, namespace }, spec };
}

function policy(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: "AccessPolicy", metadata: { name, namespace }, spec };
}

// Each rule also admits a namespace of its own: rules with the same callers would be merged
// into one, and the tenant's principals written once.
const crowdRules = Array.from({ length: RULES }, (_, i) => ({ from: [{ tenant: "crowd" }, { namespace: `elsewhere-${i}` }], to: [{ ports: [8000 + i] }] }));
const smallRules = [{ from: [{ identity: { name: "caller" } }] }];

/** Creates the policy, or replaces its spec as a person's `kubectl apply` would. */
async function applySpec(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  if (!(await getOrUndefined(client, resources.accessPolicy, name, namespace))) {
    await client.create(policy(namespace, name, spec));
    return;
  }
  await client.mergePatch(resources.accessPolicy, name, namespace, { spec: { ...spec, ...(spec.action ? {} : { action: null }) } }, "test");
}

async function shardsOf(client: KubeClient, namespace: string, policyName: string): Promise<KubeObject[]> {
  const list = await client.list<KubeObject>(resources.authorizationPolicy, namespace, `security.nexus.io/policy=${policyName}`);
  return list.items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

describe("AccessPolicy status when the rendering cannot be written", () => {
  let client: KubeClient;
  let running: TestOperator | undefined;
  // A long namespace name: every principal carries it.
  const ns = uniqueName("status-with-a-rather-long-namespace-name");

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns, { "security.nexus.io/tenant": "crowd" });
    const objects = [
      identity(ns, "api", { workloadSelector: { matchLabels: { app: "api" } } }),
      identity(ns, "caller", {}),
      ...Array.from({ length: MEMBERS }, (_, i) => identity(ns, `member-${String(i).padStart(4, "0")}-${"x".repeat(48)}`, { tenant: "crowd" })),
    ];
    for (let i = 0; i < objects.length; i += 20) await Promise.all(objects.slice(i, i + 20).map((o) => client.create(o)));
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    if (client) await deleteNamespace(client, ns);
  });

  it("without sharding: Rendered=False TooLarge with the apiserver's words, one Warning Event, and the earlier Allow object removed", async () => {
    // A budget far above etcd's limit stands for a rendering that sharding cannot bring under it.
    running = await startTestOperator(inject("kubeconfig"), { render: { shardBudgetBytes: 64 * 1024 * 1024 } });
    await applySpec(client, ns, "wide", { targetIdentity: "api", rules: smallRules });
    await waitForObject(client, resources.accessPolicy, "wide", ns, (o) => hasCondition(o, "Ready", "True"), "small policy Ready");
    expect(await getOrUndefined(client, resources.authorizationPolicy, "nexus-wide", ns)).toBeDefined();

    // One change both grows the policy past the limit and drops the caller it admitted.
    await applySpec(client, ns, "wide", { targetIdentity: "api", rules: crowdRules });
    const failed = await waitForObject(client, resources.accessPolicy, "wide", ns, (o) => hasCondition(o, "Rendered", "False", "TooLarge"), "Rendered=False TooLarge", 60_000);
    expect(conditionOf(failed, "Ready")).toMatchObject({ status: "False", reason: "TooLarge" });
    expect(conditionOf(failed, "Rendered")?.message).toMatch(/too large/i);
    expect(conditionOf(failed, "Rendered")?.message).toContain("its Allow objects are removed (fail closed)");
    // Fail closed: the caller the old version admitted is no longer admitted by anything of this policy.
    await waitForGone(client, resources.authorizationPolicy, "nexus-wide", ns);
    // The status still names the version last written, not the one that could not be.
    const status = failed.status as { policyHash?: string; observedGeneration?: number };
    expect(status.observedGeneration).toBe(failed.metadata.generation);

    // Retries do not repeat the Warning: one per change of reason.
    await waitForEvent(client, ns, "wide", "TooLarge");
    const operator = running;
    await waitFor(async () => (operator.logLines.filter((l) => l.includes("rendered objects could not be written")).length >= 3 ? true : undefined), {
      timeoutMs: 30_000,
      description: "three failed writes (the first and two retries)",
    });
    const warnings = (await eventsFor(client, ns, "wide")).filter((e) => e.type === "Warning" && e.reason === "TooLarge");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.count ?? 1).toBe(1);
    await running.stop();
    running = undefined;
  });

  it("with sharding: the same policy is written as several AuthorizationPolicies under the budget, and shrinks back without a stale shard", async () => {
    running = await startTestOperator(inject("kubeconfig"));
    const ready = await waitForObject(client, resources.accessPolicy, "wide", ns, (o) => hasCondition(o, "Ready", "True") && hasCondition(o, "Rendered", "True"), "sharded policy Ready", 90_000);
    const shards = await shardsOf(client, ns, "wide");
    expect(shards.length).toBeGreaterThan(2);
    expect(shards.map((s) => s.metadata.name)).toContain("nexus-wide");
    for (const shard of shards) expect(shard.metadata.name).toMatch(/^nexus-wide(\.[1-9][0-9]*)?$/);
    for (const shard of shards) {
      expect(Buffer.byteLength(JSON.stringify(shard.spec))).toBeLessThanOrEqual(512 * 1024);
      expect(shard.metadata.annotations?.["security.nexus.io/content-hash"]).toBe(contentHashOf(shard));
    }
    expect(policyHashOf(shards)).toBe((ready.status as { policyHash: string }).policyHash);
    const listed = (ready.status as { rendered: Array<{ name: string }> }).rendered.map((r) => r.name).filter((n) => n.startsWith("nexus-wide"));
    expect(listed.sort()).toEqual(shards.map((s) => s.metadata.name).sort());

    await applySpec(client, ns, "wide", { targetIdentity: "api", rules: smallRules });
    await waitForObject(client, resources.accessPolicy, "wide", ns, (o) => hasCondition(o, "Ready", "True") && (o.status as { rendered: unknown[] }).rendered.length === 1, "policy shrunk to one object", 60_000);
    for (const shard of shards.filter((s) => s.metadata.name !== "nexus-wide")) await waitForGone(client, resources.authorizationPolicy, shard.metadata.name, ns);
    expect((await shardsOf(client, ns, "wide")).map((s) => s.metadata.name)).toEqual(["nexus-wide"]);
  });

  it("lists every shard in its status when a policy takes more than 16 AuthorizationPolicies", async () => {
    await running?.stop();
    // A budget of 10 KiB leaves about 2 KiB for rules: the crowd's principals need some 20 shards.
    running = await startTestOperator(inject("kubeconfig"), { render: { shardBudgetBytes: 10 * 1024 } });
    await applySpec(client, ns, "many-shards", { targetIdentity: "api", rules: [{ from: [{ tenant: "crowd" }] }] });
    const ready = await waitForObject(client, resources.accessPolicy, "many-shards", ns, (o) => hasCondition(o, "Ready", "True"), "policy of many shards Ready", 60_000);
    const shards = await shardsOf(client, ns, "many-shards");
    expect(shards.length).toBeGreaterThan(16);
    const listed = (ready.status as { rendered: Array<{ kind: string; name: string }> }).rendered.filter((r) => r.kind === "AuthorizationPolicy").map((r) => r.name);
    expect(listed.sort()).toEqual(shards.map((s) => s.metadata.name).sort());
    await client.delete(resources.accessPolicy, "many-shards", ns);
  });

  it("a Deny of a missing identity denies the principal its name would have, and says it assumed so", async () => {
    await applySpec(client, ns, "no-ghosts", { targetIdentity: "api", action: "Deny", rules: [{ from: [{ identity: { name: "ghost" } }] }] });
    const denied = await waitForObject(client, resources.accessPolicy, "no-ghosts", ns, (o) => hasCondition(o, "Ready", "True"), "Deny Ready");
    const rendered = await waitForObject(client, resources.authorizationPolicy, "nexus-no-ghosts", ns, () => true, "DENY AuthorizationPolicy");
    expect(rendered.spec).toMatchObject({ action: "DENY", rules: [{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/ghost`] } }] }] });
    expect(conditionOf(denied, "Resolved")).toMatchObject({ status: "False", reason: "SourcesUnresolved" });
    expect(conditionOf(denied, "Resolved")?.message).toContain("1 source is matched by an assumed principal");
    expect((denied.status as { unresolved: Array<{ effect: string }> }).unresolved.map((u) => u.effect)).toEqual(["Assumed"]);
  });

  it("a Deny of which nothing resolves is never Ready, and says it denies nobody", async () => {
    await applySpec(client, ns, "deny-nobody", { targetIdentity: "api", action: "Deny", rules: [{ from: [{ tenant: "no-such-tenant" }] }] });
    const policyObject = await waitForObject(client, resources.accessPolicy, "deny-nobody", ns, (o) => hasCondition(o, "Ready", "False", "NothingEnforced"), "Deny not Ready");
    expect(conditionOf(policyObject, "Ready")?.message).toContain("denies nobody");
    expect(conditionOf(policyObject, "Resolved")?.message).toContain("is left out and deny nobody");
    expect(await getOrUndefined(client, resources.authorizationPolicy, "nexus-deny-nobody", ns)).toBeUndefined();
  });
});
