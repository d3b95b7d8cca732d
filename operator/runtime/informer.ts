// A supervised informer: client-node's ListWatch keeps the cache and relists on 410 Gone;
// this wrapper restarts it with backoff after any other failure, tells whether the kind is
// served at all (a missing CRD is a state to report, not a crash), and reports sync.
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { KubeApiError, type KubeClient, type KubeObject } from "./kube-client.js";
import { markMetadataOnly } from "./apply-if-changed.js";
import { slimForCache } from "./cache-slimming.js";
import { rememberOtherFieldManagers } from "./field-managers.js";
import { collectionPath, type ResourceType } from "./resources.js";

export type InformerEvent = "add" | "update" | "delete";
export type InformerHandler<T> = (object: T, event: InformerEvent, previous?: T) => void;
export type Availability = "unknown" | "served" | "absent";

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  /** Slims each object in place before it is cached (after the generic trim). */
  transform?: (object: KubeObject) => void;
  /** Keeps the names of the field managers other than this one before managedFields go. */
  keepFieldManagersOtherThan?: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Lists whole objects but watches metadata only (PartialObjectMetadata): for objects the
   * operator writes itself, whose bodies it knows, every write would otherwise come back
   * whole through the watch. Each watched object is given the resource's kind and
   * apiVersion, marked metadata-only, and handed with the cached object it replaces to
   * `carry` before it is cached.
   */
  metadataOnlyWatch?: { carry: (next: KubeObject, previous: KubeObject | undefined) => void };
}

export class SupervisedInformer<T extends KubeObject> {
  private listWatch: ListWatch<KubernetesObject> | undefined;
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly availabilityHandlers: Array<(availability: Availability) => void> = [];
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private hasSynced = false;
  private lastError = "";
  availability: Availability = "unknown";

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly log: Logger,
    private readonly options: InformerOptions = {},
  ) {}

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  onAvailability(handler: (availability: Availability) => void): void {
    this.availabilityHandlers.push(handler);
  }

  get synced(): boolean {
    if (!this.hasSynced && this.listWatch?.latestResourceVersion()) this.hasSynced = true;
    return this.hasSynced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch?.get(name, namespace) as T | undefined;
  }

  list(namespace?: string): T[] {
    return (this.listWatch?.list(namespace) ?? []) as T[];
  }

  start(): void {
    this.stopped = false;
    const path = collectionPath(this.type, this.options.namespace);
    const listFn = async () => {
      const list = await oneListAtATime(() => this.client.list<T>(this.type, this.options.namespace, this.options.labelSelector, (item) => this.prepareForCache(item)));
      this.setAvailability("served");
      return list as unknown as { items: KubernetesObject[]; metadata: { resourceVersion?: string } };
    };
    const lw = new ListWatch<KubernetesObject>(
      path,
      this.options.metadataOnlyWatch ? new MetadataOnlyWatch(this.kubeConfig, this.type, this.options.metadataOnlyWatch.carry, (name, ns) => this.get(name, ns)) : new Watch(this.kubeConfig),
      listFn as never,
      false,
      this.options.labelSelector,
    );
    lw.on("add", (o) => this.emit(o as T, "add"));
    lw.on("update", (o) => this.emit(o as T, "update"));
    lw.on("delete", (o) => this.emit(o as T, "delete"));
    lw.on("connect", () => {
      if (lw.latestResourceVersion()) this.markHealthy();
    });
    lw.on("error", (err) => this.failed(lw, err));
    this.listWatch = lw;
    this.run(lw);
  }

  // The cache is filled once a list has set a resourceVersion; the watch that follows may
  // take a while to be answered, which must not hold up readiness.
  private run(lw: ListWatch<KubernetesObject>): void {
    void lw.start().then(() => {
      if (lw.latestResourceVersion()) this.markHealthy();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.listWatch?.stop();
  }

  /** Resolves once the first list has filled the cache. */
  async waitForSync(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced) {
      if (this.availability === "absent" || this.stopped) return;
      if (Date.now() > deadline) throw new Error(`${this.type.kind} informer did not sync within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private markHealthy(): void {
    if (!this.hasSynced) this.hasSynced = true;
    if (this.failures > 0) this.log.info({ kind: this.type.kind }, "watch re-established");
    this.failures = 0;
    this.lastError = "";
  }

  private prepareForCache(object: KubeObject): void {
    if (this.options.keepFieldManagersOtherThan) rememberOtherFieldManagers(object, this.options.keepFieldManagersOtherThan);
    slimForCache(object);
    this.options.transform?.(object);
  }

  private emit(object: T, event: InformerEvent): void {
    this.prepareForCache(object);
    for (const handler of this.handlers) handler(object, event);
  }

  private failed(lw: ListWatch<KubernetesObject>, err: unknown): void {
    if (this.stopped || lw !== this.listWatch) return;
    const status = statusOf(err);
    if (status === 404) this.setAvailability("absent");
    this.failures++;
    const min = this.options.minBackoffMs ?? 500;
    const max = this.options.maxBackoffMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** Math.min(this.failures - 1, 16));
    const message = err instanceof Error ? err.message : String(err);
    // One log line per distinct failure, not one per retry.
    if (message !== this.lastError) {
      this.lastError = message;
      this.log.warn({ kind: this.type.kind, retryInMs: delay, err: message }, "watch failed; restarting with backoff");
    }
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) this.run(lw);
    }, delay);
    this.restartTimer.unref();
  }

  private setAvailability(availability: Availability): void {
    if (this.availability === availability) return;
    this.availability = availability;
    for (const handler of this.availabilityHandlers) handler(availability);
  }
}

// The Accept header that turns a watch's objects into PartialObjectMetadata (the apiserver
// converts them before they are sent, so the bodies are neither encoded nor parsed).
const METADATA_WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

/** client-node's Watch, asking for metadata only and preparing each object before ListWatch caches it. */
class MetadataOnlyWatch extends Watch {
  constructor(
    kubeConfig: KubeConfig,
    private readonly type: ResourceType,
    private readonly carry: (next: KubeObject, previous: KubeObject | undefined) => void,
    private readonly cached: (name: string, namespace?: string) => KubeObject | undefined,
  ) {
    // Watch reads the cluster and the request options from its config: the same, plus the Accept header.
    const config = Object.create(kubeConfig) as KubeConfig;
    config.applyToFetchOptions = async (opts) => {
      const init = await kubeConfig.applyToFetchOptions(opts);
      // client-node builds the headers as node-fetch's Headers.
      (init.headers as unknown as { set(name: string, value: string): void }).set("Accept", METADATA_WATCH_ACCEPT);
      return init;
    };
    super(config);
  }

  override watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: any, watchObj?: any) => void, done: (err: any) => void): Promise<AbortController> {
    return super.watch(path, queryParams, (phase, object, watchObj) => {
      if ((phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED") && object?.metadata) {
        const next = object as KubeObject;
        markMetadataOnly(next, this.type.apiVersion, this.type.kind);
        if (phase !== "DELETED") this.carry(next, this.cached(next.metadata.name, next.metadata.namespace));
      }
      callback(phase, object, watchObj);
    }, done);
  }
}

// After an apiserver restart every informer relists at once; taking the lists one at a
// time keeps only one collection in flight besides the caches, which bounds peak memory.
let listQueue: Promise<unknown> = Promise.resolve();

function oneListAtATime<T>(list: () => Promise<T>): Promise<T> {
  const turn = listQueue.then(list, list);
  listQueue = turn.catch(() => undefined);
  return turn;
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.statusCode;
  const e = err as { statusCode?: number; code?: number } | undefined;
  return e?.statusCode ?? (typeof e?.code === "number" ? e.code : undefined);
}
