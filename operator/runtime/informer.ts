// A supervised informer: a ListWatchCache keeps the cache and lists again on 410 Gone;
// this wrapper restarts it with backoff after any other failure, tells whether the kind is
// served at all (a missing CRD is a state to report, not a crash), and reports sync.
import type { Logger } from "pino";
import { KubeApiError, type KubeClient, type KubeObject } from "./kube-client.js";
import { markMetadataOnly } from "./apply-if-changed.js";
import { slimForCache } from "./cache-slimming.js";
import { rememberOtherFieldManagers } from "./field-managers.js";
import { ListWatchCache } from "./list-watch.js";
import { NOT_OWN_WRITE, type EventOrigin, type OwnWrites } from "./own-writes.js";
import { collectionPath, type ResourceType } from "./resources.js";

export type InformerEvent = "add" | "update" | "delete";
/**
 * origin: whether the event brings exactly the version one of the operator's own writes
 * produced (InformerOptions.ownWrites). The cache is updated all the same; a handler that
 * only looks at the writer's owner again does so through origin.unlessOwnWrite.
 */
export type InformerHandler<T> = (object: T, event: InformerEvent, origin: EventOrigin) => void;
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
  /** The operator's writes, to tell their watch events from other changes (own-writes.ts). */
  ownWrites?: OwnWrites;
  /** Another informer of the same kind logs that the kind is not served: this one need not say it again. */
  absenceLoggedElsewhere?: boolean;
}

export class SupervisedInformer<T extends KubeObject> {
  private cache: ListWatchCache<T> | undefined;
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly availabilityHandlers: Array<(availability: Availability) => void> = [];
  private readonly relistHandlers: Array<() => void> = [];
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private hasSynced = false;
  private lastError = "";
  /** The origin of each watched object until it is emitted (a listed object's is never a write of ours). */
  private readonly origins = new WeakMap<KubeObject, EventOrigin>();
  availability: Availability = "unknown";

  constructor(
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

  /**
   * Called after every list but the first (a watch gap ended by 410 Gone, an apiserver
   * restart): the writer of objects of this kind looks at all it owns again, since an object
   * it wrote and someone deleted during the gap produced no event.
   */
  onRelist(handler: () => void): void {
    this.relistHandlers.push(handler);
  }

  get synced(): boolean {
    if (!this.hasSynced && this.cache?.latestResourceVersion()) this.hasSynced = true;
    return this.hasSynced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache?.get(name, namespace);
  }

  list(namespace?: string): T[] {
    return this.cache?.list(namespace) ?? [];
  }

  start(): void {
    this.stopped = false;
    const path = collectionPath(this.type, this.options.namespace);
    const { labelSelector, metadataOnlyWatch } = this.options;
    const cache = new ListWatchCache<T>(
      {
        list: async (cached) => {
          const list = await oneListAtATime(() =>
            this.client.list<T>(this.type, this.options.namespace, labelSelector, (item) => {
              const same = cached(item);
              if (same) return same;
              this.prepareForCache(item);
            }),
          );
          this.setAvailability("served");
          return list;
        },
        watch: (resourceVersion, onEvent, onConnected, signal) =>
          this.client.watch({ path, resourceVersion, labelSelector, onEvent, onConnected, signal, ...(metadataOnlyWatch ? { accept: METADATA_WATCH_ACCEPT } : {}) }),
      },
      {
        add: (o) => this.emit(o, "add"),
        update: (o) => this.emit(o, "update"),
        delete: (o) => this.emit(o, "delete"),
        connected: () => {
          if (this.cache?.latestResourceVersion()) this.markHealthy();
        },
        relisted: () => {
          for (const handler of this.relistHandlers) handler();
        },
      },
      (object, event) => {
        if (metadataOnlyWatch) {
          // The watch sent PartialObjectMetadata: what is known of the body comes from the
          // cached object it replaces.
          markMetadataOnly(object, this.type.apiVersion, this.type.kind);
          if (event !== "DELETED") metadataOnlyWatch.carry(object, this.get(object.metadata.name, object.metadata.namespace));
        }
        // A deletion is never an echo: the writes told apart are applies.
        if (event !== "DELETED" && this.options.ownWrites) this.origins.set(object, this.options.ownWrites.originOf(object));
        this.prepareForCache(object);
      },
    );
    this.cache = cache;
    this.run(cache);
  }

  // The cache is filled once a list has set a resourceVersion; the watch that follows may
  // take a while to be answered, which must not hold up readiness.
  private run(cache: ListWatchCache<T>): void {
    cache.run().then(
      () => undefined,
      (err: unknown) => this.failed(cache, err),
    );
  }

  /** Ends the watch and any restart pending; resolves once the cache's loop has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.cache?.stop();
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
    const origin = this.origins.get(object) ?? NOT_OWN_WRITE;
    this.origins.delete(object);
    for (const handler of this.handlers) handler(object, event, origin);
  }

  private failed(cache: ListWatchCache<T>, err: unknown): void {
    if (this.stopped || cache !== this.cache) return;
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
      if (status !== 404 || !this.options.absenceLoggedElsewhere) this.log.warn({ kind: this.type.kind, retryInMs: delay, err: message }, "watch failed; restarting with backoff");
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.run(cache);
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
