// The large-tenant row: one tenant of 5,000 EngineIdentities named by 200 AccessPolicies,
// each naming it in several rules (one per area of an API). Measured: the pure render, the
// operator's start until all is Ready, the AuthorizationPolicies written (the rules admit the
// same callers, so the renderer merges them and the tenant's principals are written once per
// policy), and how long one member joining the tenant takes until every affected
// AuthorizationPolicy holds it.
import path from "node:path";
import type { AccessPolicy, AccessRule, EngineIdentity } from "../operator/api/types.js";
import { defaultRenderConfig } from "../operator/config.js";
import { renderAccessPolicy } from "../operator/policy/index.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_LABEL } from "../operator/render/metadata.js";
import type { KubeObject } from "../operator/runtime/kube-client.js";
import { resources } from "../operator/runtime/resources.js";
import { createInputs, createNamespaces, startBenchCluster } from "./cluster.js";
import { apiserverCounters, apiserverProfileWanted, ApiserverProfileSeries, countersMoved } from "./apiserver-profile.js";
import { cpuSnapshot } from "./cpu-accounting.js";
import { asReadBack, indexedLookup } from "./desired-objects.js";
import { OperatorProcess } from "./operator-process.js";
import { OPERATOR_USER } from "./operator-run.js";
import { withTimeout } from "./pool.js";
import { CompletionTracker } from "./readiness.js";
import { mb, msec, secs, type Row } from "./report.js";
import { percentile } from "./stats.js";
import { ResourceWatch } from "./watch.js";
import { SECURITY_API_VERSION, type Workload } from "./workload.js";

const TENANT = "large";
const MEMBER_ADDED_TIMEOUT_MS = 120_000;
const TRUST_DOMAIN = defaultRenderConfig.trustDomain;

export interface LargeTenantOptions {
  members: number;
  /** Policies naming the tenant (default 200). */
  policies?: number;
  /** Rules per policy, each naming the tenant for other operations (default 3). */
  rules?: number;
  concurrency: number;
  outDir: string;
  /** Members added one at a time for the latency percentiles. */
  samples: number;
  log: (line: string) => void;
  /** Directory for the operator's V8 CPU profile (BENCH_CPU_PROF=1). */
  cpuProfileDir?: string;
}

export interface LargeTenantResult {
  members: number;
  policies: number;
  rulesPerPolicy: number;
  /** Pure render of every policy, in process. */
  renderMs: number;
  /** AuthorizationPolicies of the policies (shards), and the largest one's JSON bytes. */
  shards: number;
  largestShardBytes: number;
  unshardedBytes: number;
  /** Operator spawned -> every identity and policy Ready, every object written. */
  convergeMs: number;
  /** Member created -> every policy's AuthorizationPolicies hold it, per member added. */
  memberAddedMs: number[];
  /** JSON bytes of the AuthorizationPolicies written (created or updated) per member added. */
  bytesPerMemberAdded: number[];
  /** Set when a member was still missing somewhere after MEMBER_ADDED_TIMEOUT_MS: sampling stopped there. */
  memberAddedTimedOut?: { member: number; policiesComplete: number };
  peakRssBytes: number;
}

export function buildLargeTenantWorkload(members: number, policyCount: number, rulesPerPolicy: number): Workload {
  const perNamespace = 50;
  const namespaces = Array.from({ length: Math.ceil(members / perNamespace) }, (_, n) => `tenant-${String(n).padStart(4, "0")}`);
  const nameOf = (i: number) => `member-${String(i).padStart(5, "0")}`;
  const identities: EngineIdentity[] = Array.from({ length: members }, (_, i) => ({
    apiVersion: SECURITY_API_VERSION,
    kind: "EngineIdentity",
    metadata: { name: nameOf(i), namespace: namespaces[Math.floor(i / perNamespace)]!, labels: { "bench.nexus.io/workload": "large-tenant" } },
    spec: { tenant: TENANT, workloadSelector: { matchLabels: { app: nameOf(i) } } },
  }));
  const methods = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;
  const rules: AccessRule[] = Array.from({ length: rulesPerPolicy }, (_, r) => ({
    from: [{ tenant: TENANT }],
    to: [{ methods: [methods[r % methods.length]!], paths: [`/area-${r}/*`] }],
  }));
  const step = Math.max(1, Math.floor(members / policyCount));
  const policies: AccessPolicy[] = Array.from({ length: Math.min(policyCount, members) }, (_, p) => {
    const target = identities[p * step]!;
    return {
      apiVersion: SECURITY_API_VERSION,
      kind: "AccessPolicy",
      metadata: { name: `tenant-wide-${String(p).padStart(3, "0")}`, namespace: target.metadata.namespace, labels: { "bench.nexus.io/workload": "large-tenant" } },
      spec: { targetIdentity: target.metadata.name, rules },
    };
  });
  // Members in fact: the administrators' label on every namespace backs the claims.
  return { size: members, namespaces, namespaceTenants: new Map(namespaces.map((namespace) => [namespace, TENANT])), tenants: 1, identities, policies };
}

export async function runLargeTenantPhase(options: LargeTenantOptions): Promise<LargeTenantResult> {
  const { members, concurrency, log } = options;
  const rulesPerPolicy = options.rules ?? 3;
  const workload = buildLargeTenantWorkload(members, options.policies ?? 200, rulesPerPolicy);
  const policyCount = workload.policies.length;
  log(`large tenant: ${members} members named by ${policyCount} policies, ${rulesPerPolicy} rules each`);

  // The pure render, and what it gives: shards and their sizes.
  const lookup = indexedLookup(asReadBack(workload.identities, "00000000-0000-4000-8000"), workload.namespaceTenants);
  const policies = asReadBack(workload.policies, "00000000-0000-4000-9000");
  const renderStarted = performance.now();
  const rendered = policies.map((p) => renderAccessPolicy(p, lookup, defaultRenderConfig));
  const renderMs = performance.now() - renderStarted;
  const aps = rendered.flatMap((r) => r.objects.filter((o) => o.kind === "AuthorizationPolicy"));
  const largestShardBytes = Math.max(...aps.map((o) => JSON.stringify(o).length));
  const unshardedBytes = JSON.stringify({ rules: rendered[0]!.objects.flatMap((o) => (o.kind === "AuthorizationPolicy" ? ((o.spec as { rules?: unknown[] }).rules ?? []) : [])) }).length;
  // How often one member's principal appears in one policy's rendering: a joiner is in
  // every policy once it appears that often in each.
  const firstMember = workload.identities[0]!.metadata;
  const timesNamed = occurrences(JSON.stringify(rendered[0]!.objects.filter((o) => o.kind === "AuthorizationPolicy").map((o) => o.spec)), `"${TRUST_DOMAIN}/ns/${firstMember.namespace}/sa/${firstMember.name}"`);
  if (timesNamed === 0) throw new Error("the large tenant's first member is not in the first policy's rendering");
  log(`large tenant: pure render of ${policyCount} policies in ${msec(renderMs)}: ${aps.length} AuthorizationPolicies, the largest ${(largestShardBytes / 1024).toFixed(0)} KiB (one policy's rules together ${(unshardedBytes / 1024).toFixed(0)} KiB)`);

  const cluster = await startBenchCluster();
  let operator: OperatorProcess | undefined;
  let watch: ResourceWatch | undefined;
  try {
    await createNamespaces(cluster.client, workload, concurrency);
    const inputsMs = await createInputs(cluster.client, workload, concurrency);
    log(`large tenant: inputs created in ${secs(inputsMs)}; starting the operator`);
    const kubeconfigPath = await cluster.controlPlane.mintUserKubeconfig(OPERATOR_USER, ["system:masters"]);
    const tracker = new CompletionTracker(cluster.kubeConfig, cluster.client, workload);
    await tracker.start();
    operator = new OperatorProcess({ kubeconfigPath, concurrency, logFile: path.join(options.outDir, "logs", `operator-large-tenant-${members}.log`), ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}) });
    const completeAt = await tracker.waitComplete(900_000, (line) => log(`large tenant: ${line}`)).finally(() => tracker.stop());
    const convergeMs = completeAt - operator.spawnedAt;
    await operator.idle({ quietMs: 2000 });
    await operator.eventsDrained();
    log(`large tenant: all Ready after ${secs(convergeMs)}`);
    const live = (await cluster.client.list<KubeObject & AccessPolicy>(resources.accessPolicy)).items;
    const shards = live.reduce((sum, p) => sum + (p.status?.rendered ?? []).filter((r) => r.kind === "AuthorizationPolicy").length, 0);

    // One member joins at a time: until every policy names it in each of its rules.
    const seen = new Map<string, Map<string, number>>(); // policy -> shard -> occurrences of the newest member
    let principal = "";
    let writtenBytes = 0;
    let onChange: (() => void) | undefined;
    watch = new ResourceWatch(cluster.kubeConfig, cluster.client, resources.authorizationPolicy, (event, ap) => {
      const policy = ap.metadata.labels?.[POLICY_LABEL];
      if (!policy || !principal) return;
      if (event !== "DELETED") writtenBytes += Buffer.byteLength(JSON.stringify(ap), "utf8");
      const key = `${ap.metadata.namespace}/${policy}`;
      const shardsOf = seen.get(key) ?? new Map<string, number>();
      seen.set(key, shardsOf);
      shardsOf.set(ap.metadata.name, event === "DELETED" ? 0 : occurrences(JSON.stringify(ap.spec), `"${principal}"`));
      onChange?.();
    }, { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`, skipInitialList: true });
    await watch.start();
    await controlPlaneSettled(cluster.controlPlane.tempDir, operator.pid, log);
    const isComplete = (shardsOf: Map<string, number>) => [...shardsOf.values()].reduce((a, b) => a + b, 0) >= timesNamed;
    const complete = () => seen.size === policyCount && [...seen.values()].every(isComplete);
    // BENCH_APISERVER_PROF=1: the apiserver's profile and counters over the members' adds.
    const apiserverProfile = apiserverProfileWanted() ? new ApiserverProfileSeries(cluster.kubeConfig, path.join(options.outDir, "profiles", `apiserver-large-tenant-${Date.now()}`)) : undefined;
    const countersBefore = apiserverProfile ? await apiserverCounters(cluster.kubeConfig) : undefined;
    const memberAddedMs: number[] = [];
    const bytesPerMemberAdded: number[] = [];
    let memberAddedTimedOut: LargeTenantResult["memberAddedTimedOut"];
    for (let k = 0; k < options.samples; k++) {
      const namespace = workload.namespaces[(k * 7) % workload.namespaces.length]!;
      const name = `joiner-${String(k).padStart(3, "0")}`;
      seen.clear();
      writtenBytes = 0;
      principal = `${TRUST_DOMAIN}/ns/${namespace}/sa/${name}`;
      const done = new Promise<number>((resolve) => (onChange = () => complete() && resolve(performance.now())));
      const cpuBefore = await cpuSnapshot(cluster.controlPlane.tempDir, { operator: operator.pid });
      const started = performance.now();
      await cluster.client.create({ apiVersion: SECURITY_API_VERSION, kind: "EngineIdentity", metadata: { name, namespace }, spec: { tenant: TENANT, workloadSelector: { matchLabels: { app: name } } } });
      let doneAt: number;
      try {
        doneAt = await withTimeout(done, MEMBER_ADDED_TIMEOUT_MS, `member ${namespace}/${name} in every policy`);
      } catch (err) {
        memberAddedTimedOut = { member: k + 1, policiesComplete: [...seen.values()].filter(isComplete).length };
        log(`large tenant: ${(err as Error).message} (${memberAddedTimedOut.policiesComplete} of ${policyCount} policies hold it); sampling stops`);
        break;
      }
      memberAddedMs.push(doneAt - started);
      // CPU until every policy held the member (read just after, so a few ms late): which
      // process the wait was spent in.
      const cpuAfter = await cpuSnapshot(cluster.controlPlane.tempDir, { operator: operator.pid });
      const cpu = (name: string) => ((cpuAfter[name] ?? 0) - (cpuBefore[name] ?? 0)).toFixed(2);
      log(`large tenant: member ${k + 1}/${options.samples} in every policy after ${msec(doneAt - started)} (CPU s: operator ${cpu("operator")}, apiserver ${cpu("kube-apiserver")}, etcd ${cpu("etcd")}, benchmark ${cpu("bench")})`);
      onChange = undefined;
      await operator.idle({ quietMs: 1000 });
      bytesPerMemberAdded.push(writtenBytes);
      log(`large tenant: member ${k + 1} wrote ${(writtenBytes / 1024).toFixed(0)} KiB of AuthorizationPolicies`);
    }
    if (apiserverProfile) {
      log(`large tenant: apiserver profile ${await apiserverProfile.stop()}`);
      log(`large tenant: apiserver counters over the adds:\n${countersMoved(countersBefore!, await apiserverCounters(cluster.kubeConfig))}`);
    }
    if (memberAddedMs.length > 0) log(`large tenant: member added -> all policies updated p50 ${msec(percentile(memberAddedMs, 50))}, p99 ${msec(percentile(memberAddedMs, 99))}`);
    return {
      members,
      policies: policyCount,
      rulesPerPolicy,
      renderMs,
      shards,
      largestShardBytes,
      unshardedBytes,
      convergeMs,
      memberAddedMs,
      bytesPerMemberAdded,
      ...(memberAddedTimedOut ? { memberAddedTimedOut } : {}),
      peakRssBytes: operator.peakRss(),
    };
  } finally {
    watch?.stop();
    await operator?.stop();
    await cluster.stop();
  }
}

export function largeTenantRows(r: LargeTenantResult): Row[] {
  const size = r.members;
  const timedOut = r.memberAddedTimedOut;
  const p99 = timedOut ? Number.POSITIVE_INFINITY : percentile(r.memberAddedMs, 99);
  const p99Text = timedOut
    ? `> ${secs(MEMBER_ADDED_TIMEOUT_MS)} (member ${timedOut.member} timed out: ${timedOut.policiesComplete} of ${r.policies} policies updated)`
    : msec(p99);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  return [
    { size, metric: `large tenant: ${r.members} members named by ${r.policies} policies (${r.rulesPerPolicy} rules each)`, value: `pure render ${msec(r.renderMs)}`, goal: "" },
    { size, metric: "  operator start -> all Ready", value: secs(r.convergeMs), goal: "" },
    { size, metric: "  AuthorizationPolicies (shards), largest", value: `${r.shards} for ${r.policies} policies, ${kib(r.largestShardBytes)} (one policy's rules: ${kib(r.unshardedBytes)})`, goal: "" },
    { size, metric: `  member added -> every affected AuthorizationPolicy updated p50 (${r.memberAddedMs.length} adds)`, value: r.memberAddedMs.length > 0 ? msec(percentile(r.memberAddedMs, 50)) : "none completed", goal: "" },
    { size, metric: "  member added -> every affected AuthorizationPolicy updated p99", value: p99Text, goal: "<= 2 s", pass: p99 <= 2000 },
    {
      size,
      metric: "  AuthorizationPolicy bytes written per member added (max)",
      value: r.bytesPerMemberAdded.length > 0 ? `${kib(Math.max(...r.bytesPerMemberAdded))} (median ${kib(percentile(r.bytesPerMemberAdded, 50))})` : "none measured",
      goal: `<= ${kib(r.policies * 16 * 1024)} (${r.policies} x 16 KiB)`,
      pass: r.bytesPerMemberAdded.length > 0 && Math.max(...r.bytesPerMemberAdded) <= r.policies * 16 * 1024,
    },
    { size, metric: "  operator peak RSS", value: mb(r.peakRssBytes), goal: "" },
  ];
}

// The members are added in a settled cluster, as a member joins a tenant in production: the
// control plane is left to finish what the initial sync of thousands of objects started
// (its own housekeeping, not the operator's, which is idle by then) before the first add.
const SETTLE_WINDOW_MS = 2000;
const SETTLED_CPU_SHARE = 0.15;
const SETTLE_TIMEOUT_MS = 60_000;

async function controlPlaneSettled(tempDir: string, operatorPid: number, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  for (;;) {
    const before = await cpuSnapshot(tempDir, { operator: operatorPid });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_WINDOW_MS));
    const after = await cpuSnapshot(tempDir, { operator: operatorPid });
    const share = (name: string) => ((after[name] ?? 0) - (before[name] ?? 0)) / (SETTLE_WINDOW_MS / 1000);
    const busy = ["kube-apiserver", "etcd", "kube-controller-manager", "operator"].map((name) => `${name} ${(100 * share(name)).toFixed(0)} %`).join(", ");
    const settled = share("kube-apiserver") + share("etcd") + share("kube-controller-manager") + share("operator") <= SETTLED_CPU_SHARE;
    const waited = performance.now() - started;
    if (settled || waited >= SETTLE_TIMEOUT_MS) {
      log(`large tenant: control plane ${settled ? "settled" : "still busy, adding members anyway"} after ${secs(waited)} (CPU over the last ${secs(SETTLE_WINDOW_MS)}: ${busy})`);
      return;
    }
    log(`large tenant: control plane busy (${busy}); waiting before the first member`);
  }
}

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}
