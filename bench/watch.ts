// A lean list-then-watch over one resource type that only hands events on (no cache):
// the benchmark's way to see, to the millisecond and without polling the apiserver with
// large lists, when the operator's writes land.
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import type { KubeClient, KubeObject } from "../operator/runtime/kube-client.js";
import { collectionPath, type ResourceType } from "../operator/runtime/resources.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
export type WatchHandler = (type: WatchEventType, object: KubeObject) => void;

export class ResourceWatch {
  private abort: AbortController | undefined;
  private stopped = false;
  private resourceVersion = "";

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly client: KubeClient,
    private readonly type: ResourceType,
    private readonly handler: WatchHandler,
    private readonly options: { labelSelector?: string; skipInitialList?: boolean } = {},
  ) {}

  /** Lists (handing every object on as ADDED, unless skipInitialList) and starts watching. */
  async start(): Promise<void> {
    if (this.options.skipInitialList) {
      // A one-item list just to learn the current resourceVersion.
      const query = new URLSearchParams({ limit: "1", ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}) });
      const page = await this.client.getRaw<{ metadata: { resourceVersion: string } }>(`${collectionPath(this.type)}?${query}`);
      this.resourceVersion = page.metadata.resourceVersion;
    } else {
      await this.relist();
    }
    await this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<KubeObject>(this.type, undefined, this.options.labelSelector);
    for (const item of list.items) this.handler("ADDED", item);
    this.resourceVersion = list.metadata.resourceVersion ?? "";
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const query: Record<string, string | boolean> = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true };
    if (this.options.labelSelector) query.labelSelector = this.options.labelSelector;
    let gone = false;
    this.abort = await new Watch(this.kubeConfig).watch(
      collectionPath(this.type),
      query,
      (phase: string, object: KubeObject & { code?: number }) => {
        if (phase === "ERROR") {
          if (object.code === 410) gone = true;
          return;
        }
        if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
        if (phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED") {
          this.handler(phase, { ...object, apiVersion: this.type.apiVersion, kind: this.type.kind });
        }
      },
      (err: unknown) => {
        if (this.stopped) return;
        // Resume where we were; after 410 Gone start over from a fresh list.
        const again = async () => {
          if (gone) await this.relist();
          await this.watch();
        };
        setTimeout(() => void again().catch(() => setTimeout(() => void again(), 1000)), err ? 500 : 0);
      },
    );
  }
}
