// The GitOps burst: with everything loaded, 1,000 AccessPolicies changed at once (one apply
// of a changed repository, sent at the benchmark's concurrency), timed from the first change
// sent until every changed policy's AuthorizationPolicy carries its change and the policy is
// Ready at its new generation. The floor for the same writes: the same changes, and as each
// is answered a bare client writes what the operator writes for it (the objects that
// differ, and the status), both at the same concurrency as the operator's run.
import type { KubeConfig } from "@kubernetes/client-node";
import type { AccessPolicy, AccessRule, EngineIdentity } from "../operator/api/types.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_LABEL, SOURCE_GENERATION_ANNOTATION } from "../operator/render/metadata.js";
import { recordedContentHash } from "../operator/render/content-hash.js";
import type { KubeClient, KubeObject } from "../operator/runtime/kube-client.js";
import { resources, resourceOf } from "../operator/runtime/resources.js";
import { indexedLookup, policyWrites } from "./desired-objects.js";
import { runPool, withRetry } from "./pool.js";
import { readyAtGeneration } from "./readiness.js";
import { ResourceWatch } from "./watch.js";
import type { Workload } from "./workload.js";

export const BURST_FIELD_MANAGER = "nexus-bench-gitops";

export interface BurstEdit {
  namespace: string;
  name: string;
  /** The policy's rules after the change: its first source names another identity. */
  rules: AccessRule[];
}

export interface BurstResult {
  policies: number;
  /** First change sent -> every changed policy rendered and Ready. */
  ms: number;
  /** First change sent -> the last change answered. */
  editsMs: number;
}

/**
 * `count` policies spread over the workload, each with its first source moved to another
 * identity of its namespace, so that its AuthorizationPolicy must change. Policies that name
 * their whole tenant are skipped (the new identity would already be in). Deterministic.
 */
export function burstEdits(workload: Workload, count: number): BurstEdit[] {
  const candidates = workload.policies.filter((p) => !p.spec.rules?.some((r) => r.from?.some((s) => s.tenant)));
  const step = Math.max(1, Math.floor(candidates.length / count));
  const edits: BurstEdit[] = [];
  for (let k = 0; k < candidates.length && edits.length < count; k += step) {
    const policy = candidates[k]!;
    const { namespace, name } = policy.metadata;
    const rules = structuredClone(policy.spec.rules ?? []);
    const named = new Set(rules.flatMap((r) => r.from ?? []).flatMap((s) => (s.identity && (s.identity.namespace ?? namespace) === namespace ? [s.identity.name] : [])));
    const other = workload.identities.find((i) => i.metadata.namespace === namespace && !named.has(i.metadata.name));
    if (!other || !rules[0]?.from?.length) continue;
    rules[0].from[0] = { identity: { name: other.metadata.name } };
    edits.push({ namespace, name, rules });
  }
  return edits;
}

/** Watches until every changed policy is rendered at its new generation and Ready there. */
export class BurstTracker {
  private readonly rendered = new Set<string>();
  private readonly ready = new Set<string>();
  private readonly watches: ResourceWatch[];
  private completedAt: number | undefined;
  private waiter: ((at: number) => void) | undefined;

  /** `generations`: namespace/name of each changed policy -> its generation after the change. */
  constructor(kubeConfig: KubeConfig, client: KubeClient, private readonly generations: Map<string, number>) {
    this.watches = [
      new ResourceWatch(kubeConfig, client, resources.authorizationPolicy, (event, ap) => {
        const key = `${ap.metadata.namespace}/${ap.metadata.labels?.[POLICY_LABEL] ?? ""}`;
        const want = this.generations.get(key);
        if (want === undefined || event === "DELETED") return;
        if (Number(ap.metadata.annotations?.[SOURCE_GENERATION_ANNOTATION] ?? 0) >= want) this.rendered.add(key);
        this.check();
      }, { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`, skipInitialList: true }),
      new ResourceWatch(kubeConfig, client, resources.accessPolicy, (_event, policy) => {
        const key = `${policy.metadata.namespace}/${policy.metadata.name}`;
        const want = this.generations.get(key);
        if (want !== undefined && (policy.metadata.generation ?? 0) >= want && readyAtGeneration(policy)) this.ready.add(key);
        this.check();
      }, { skipInitialList: true }),
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.start()));
  }

  stop(): void {
    for (const w of this.watches) w.stop();
  }

  progress(): string {
    return `rendered ${this.rendered.size}/${this.generations.size}, Ready ${this.ready.size}/${this.generations.size}`;
  }

  waitComplete(timeoutMs: number): Promise<number> {
    if (this.completedAt !== undefined) return Promise.resolve(this.completedAt);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`burst not rendered within ${timeoutMs / 1000}s: ${this.progress()}`)), timeoutMs);
      this.waiter = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
  }

  private check(): void {
    if (this.completedAt !== undefined || this.rendered.size < this.generations.size || this.ready.size < this.generations.size) return;
    this.completedAt = performance.now();
    this.waiter?.(this.completedAt);
  }
}

/** Generation of each edited policy after its change (one more than now). */
async function generationsAfter(client: KubeClient, edits: BurstEdit[]): Promise<{ generations: Map<string, number>; live: Map<string, AccessPolicy> }> {
  const wanted = new Set(edits.map((e) => `${e.namespace}/${e.name}`));
  const live = new Map<string, AccessPolicy>();
  for (const policy of (await client.list<KubeObject>(resources.accessPolicy)).items as unknown as AccessPolicy[]) {
    const key = `${policy.metadata.namespace}/${policy.metadata.name}`;
    if (wanted.has(key)) live.set(key, policy);
  }
  return { generations: new Map([...live].map(([key, p]) => [key, (p.metadata.generation ?? 0) + 1])), live };
}

function sendEdit(client: KubeClient, edit: BurstEdit): Promise<unknown> {
  return withRetry(() => client.mergePatch(resources.accessPolicy, edit.name, edit.namespace, { spec: { rules: edit.rules } }, BURST_FIELD_MANAGER));
}

/** The burst against the running operator: sends the changes, waits until all is rendered and Ready. */
export async function runOperatorBurst(kubeConfig: KubeConfig, client: KubeClient, edits: BurstEdit[], concurrency: number): Promise<BurstResult> {
  const { generations } = await generationsAfter(client, edits);
  const tracker = new BurstTracker(kubeConfig, client, generations);
  await tracker.start();
  try {
    const started = performance.now();
    await runPool(edits, concurrency, (edit) => sendEdit(client, edit));
    const editsMs = performance.now() - started;
    const doneAt = await tracker.waitComplete(600_000);
    return { policies: edits.length, ms: doneAt - started, editsMs };
  } finally {
    tracker.stop();
  }
}

/**
 * The floor of the burst: the same changes at the same concurrency, and a bare writer (its
 * own client, the operator's concurrency) that writes for each answered change exactly what
 * the operator writes: the rendered objects whose content changed, and the status. Rendering
 * is done before the clock starts.
 */
export async function runFloorBurst(kubeConfig: KubeConfig, client: KubeClient, writer: KubeClient, edits: BurstEdit[], concurrency: number): Promise<BurstResult & { writes: number }> {
  const { generations, live } = await generationsAfter(client, edits);
  const identities = (await client.list<KubeObject>(resources.engineIdentity)).items as unknown as EngineIdentity[];
  const lookup = indexedLookup(identities);
  const writesOf = new Map<string, Array<() => Promise<unknown>>>();
  let writeCount = 0;
  for (const edit of edits) {
    const key = `${edit.namespace}/${edit.name}`;
    const before = live.get(key)!;
    const after: AccessPolicy = { ...before, metadata: { ...before.metadata, generation: generations.get(key)! }, spec: { ...before.spec, rules: edit.rules } };
    const old = new Map(policyWrites(before, lookup).objects.map((o) => [`${o.kind}/${o.metadata.name}`, recordedContentHash(o)]));
    const next = policyWrites(after, lookup);
    const jobs: Array<() => Promise<unknown>> = [];
    for (const object of next.objects) {
      if (old.get(`${object.kind}/${object.metadata.name}`) !== recordedContentHash(object)) jobs.push(() => writer.apply(object));
    }
    const kept = new Set(next.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    for (const name of old.keys()) {
      if (kept.has(name)) continue;
      const [kind, objectName] = name.split("/") as [string, string];
      jobs.push(() => writer.delete(resourceOf("security.istio.io/v1", kind), objectName, edit.namespace));
    }
    jobs.push(() => writer.applyStatus(next.status.object, next.status.status));
    writeCount += jobs.length;
    writesOf.set(key, jobs);
  }

  const tracker = new BurstTracker(kubeConfig, client, generations);
  await tracker.start();
  try {
    const queue: Array<() => Promise<unknown>> = [];
    let editsDone = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const started = performance.now();
    const editing = runPool(edits, concurrency, async (edit) => {
      await sendEdit(client, edit);
      queue.push(...writesOf.get(`${edit.namespace}/${edit.name}`)!);
      notify();
    }).finally(() => {
      editsDone = true;
      notify();
    });
    const writing = Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const job = queue.shift();
          if (job) await withRetry(job);
          else if (editsDone) return;
          else await new Promise<void>((resolve) => (wake = chain(wake, resolve)));
        }
      }),
    );
    await editing;
    const editsMs = performance.now() - started;
    await writing;
    const doneAt = await tracker.waitComplete(600_000);
    return { policies: edits.length, ms: doneAt - started, editsMs, writes: writeCount };
  } finally {
    tracker.stop();
  }
}

function chain(first: (() => void) | undefined, second: () => void): () => void {
  return first ? () => (first(), second()) : second;
}
