// Knows when the operator is done: every AccessPolicy and EngineIdentity Ready at its
// generation, and every object the operator must write present. Watches, not polls, so the
// completion time is exact and the apiserver under test is not loaded by repeated lists.
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeClient, KubeObject } from "../operator/runtime/kube-client.js";
import { resources, type ResourceType } from "../operator/runtime/resources.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../operator/render/metadata.js";
import { dataPlanesOf } from "./ambient-workload.js";
import { asReadBack, desiredWrites, expectedCounts } from "./desired-objects.js";
import { ResourceWatch } from "./watch.js";
import type { Workload } from "./workload.js";

const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

interface Tracked {
  label: string;
  type: ResourceType;
  labelSelector?: string;
  expected: number;
  done: (object: KubeObject) => boolean;
  satisfied: Set<string>;
}

export function readyAtGeneration(object: KubeObject): boolean {
  const status = object.status as { observedGeneration?: number; conditions?: Array<{ type: string; status: string; observedGeneration?: number }> } | undefined;
  const ready = status?.conditions?.find((c) => c.type === "Ready");
  return ready?.status === "True" && status?.observedGeneration === object.metadata.generation;
}

const countsOf = new WeakMap<Workload, Record<string, number>>();

/** Objects per kind the operator must write for the workload, from the pure renderers. */
export function expectedObjectCounts(workload: Workload): Record<string, number> {
  let counts = countsOf.get(workload);
  if (!counts) {
    const { objects } = desiredWrites(asReadBack(workload.identities, "00000000-0000-4000-8000"), asReadBack(workload.policies, "00000000-0000-4000-9000"), workload.namespaces, undefined, workload.namespaceTenants, dataPlanesOf(workload));
    countsOf.set(workload, (counts = expectedCounts(objects)));
  }
  return counts;
}

export class CompletionTracker {
  private readonly tracked: Tracked[];
  private readonly watches: ResourceWatch[] = [];
  private completedAt: number | undefined;
  private waiters: Array<(at: number) => void> = [];

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly client: KubeClient,
    workload: Workload,
  ) {
    const present = () => true;
    const counts = expectedObjectCounts(workload);
    this.tracked = [
      { label: "AccessPolicy Ready", type: resources.accessPolicy, expected: workload.policies.length, done: readyAtGeneration, satisfied: new Set() },
      { label: "EngineIdentity Ready", type: resources.engineIdentity, expected: workload.identities.length, done: readyAtGeneration, satisfied: new Set() },
      ...[resources.authorizationPolicy, resources.peerAuthentication, resources.requestAuthentication, resources.serviceAccount]
        .filter((type) => (counts[type.kind] ?? 0) > 0)
        .map((type) => ({ label: type.kind, type, labelSelector: managed, expected: counts[type.kind]!, done: present, satisfied: new Set<string>() })),
    ];
  }

  async start(): Promise<void> {
    for (const t of this.tracked) {
      const watch = new ResourceWatch(this.kubeConfig, this.client, t.type, (event, object) => {
        const key = `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
        if (event !== "DELETED" && t.done(object)) t.satisfied.add(key);
        else t.satisfied.delete(key);
        this.check();
      }, t.labelSelector ? { labelSelector: t.labelSelector } : {});
      this.watches.push(watch);
    }
    await Promise.all(this.watches.map((w) => w.start()));
    this.check();
  }

  stop(): void {
    for (const w of this.watches) w.stop();
  }

  progress(): string {
    return this.tracked.map((t) => `${t.label} ${t.satisfied.size}/${t.expected}`).join(", ");
  }

  /** Resolves with performance.now() of the event that completed the set. */
  waitComplete(timeoutMs: number, onProgress?: (line: string) => void): Promise<number> {
    if (this.completedAt !== undefined) return Promise.resolve(this.completedAt);
    return new Promise((resolve, reject) => {
      const ticker = setInterval(() => onProgress?.(this.progress()), 10_000);
      const timer = setTimeout(() => {
        clearInterval(ticker);
        reject(new Error(`not complete within ${timeoutMs / 1000}s: ${this.progress()}`));
      }, timeoutMs);
      this.waiters.push((at) => {
        clearTimeout(timer);
        clearInterval(ticker);
        resolve(at);
      });
    });
  }

  private check(): void {
    if (this.completedAt !== undefined) return;
    if (!this.tracked.every((t) => t.satisfied.size >= t.expected)) return;
    this.completedAt = performance.now();
    for (const waiter of this.waiters.splice(0)) waiter(this.completedAt);
  }
}
