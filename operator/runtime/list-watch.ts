// The cache behind an informer: list a collection, then follow its watch from the list's
// resourceVersion, keeping every object by namespace and name. A watch the apiserver ends
// (its timeout) is followed by the next one from the last resourceVersion seen; one that
// is answered 410 Gone (the version expired while we were away) lists again, reporting
// what changed meanwhile as adds, updates and deletes. Any other failure ends run() with
// the error, and the supervisor decides when to run again.
import { KubeApiError, type KubeList, type KubeObject, type WatchEvent } from "./kube-client.js";

export interface ListWatchSource<T extends KubeObject> {
  /**
   * The whole collection. `cached` names, for a listed object, the cache's own copy of that
   * same version, to be listed in its place: after an apiserver restart nearly every object
   * is unchanged, and holding a second copy of each until the list ends would double the
   * cache at the worst moment.
   */
  list(cached: (listed: T) => T | undefined): Promise<KubeList<T>>;
  /** Watches from resourceVersion; resolves when the stream ends, rejects on failure. */
  watch(resourceVersion: string, onEvent: (event: WatchEvent) => void, onConnected: () => void, signal: AbortSignal): Promise<void>;
}

export interface ListWatchHandlers<T> {
  add(object: T): void;
  update(object: T): void;
  delete(object: T): void;
  /** A watch was answered (the cache is current from here on). */
  connected(): void;
  /**
   * A list after the first one has replaced the cache. The changes it reports are only what
   * differs from the cache: an object created and deleted again while we were not watching
   * leaves no trace, so whoever writes objects of this kind must look at all of them again.
   */
  relisted?(): void;
}

// A watch that ends this soon after it started, having delivered nothing, is not a server
// timeout but a server refusing to keep it open: it counts as a failure, so the
// supervisor's backoff applies instead of a tight loop.
const SHORTEST_NORMAL_WATCH_MS = 1_000;

export class ListWatchCache<T extends KubeObject> {
  private objects = new Map<string, Map<string, T>>();
  private resourceVersion = "";
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private listedBefore = false;

  constructor(
    private readonly source: ListWatchSource<T>,
    private readonly handlers: ListWatchHandlers<T>,
    /** Readies a watched object before it is cached or handed on (listed objects come ready). */
    private readonly prepare: (object: T, event: "ADDED" | "MODIFIED" | "DELETED") => void,
  ) {}

  latestResourceVersion(): string {
    return this.resourceVersion;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? "")?.get(name);
  }

  list(namespace?: string): T[] {
    if (namespace) return [...(this.objects.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const objects of this.objects.values()) all.push(...objects.values());
    return all;
  }

  /** Lists when needed and follows watches until stopped (resolves) or a failure (rejects). */
  run(): Promise<void> {
    this.stopped = false;
    const running = this.loop();
    this.running = running.catch(() => undefined);
    return running;
  }

  /** Ends the watch in flight; resolves once run() has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.resourceVersion) await this.relist();
      if (this.stopped) return;
      const abort = new AbortController();
      this.abort = abort;
      const started = Date.now();
      let events = 0;
      try {
        await this.source.watch(
          this.resourceVersion,
          (event) => {
            events++;
            this.apply(event);
          },
          () => this.handlers.connected(),
          abort.signal,
        );
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof KubeApiError && err.statusCode === 410) {
          this.resourceVersion = "";
          continue;
        }
        throw err;
      } finally {
        this.abort = undefined;
      }
      if (!this.stopped && events === 0 && Date.now() - started < SHORTEST_NORMAL_WATCH_MS) {
        throw new KubeApiError(0, "WatchClosed", "the apiserver ended the watch as soon as it began");
      }
    }
  }

  private async relist(): Promise<void> {
    const listed = await this.source.list((object) => {
      const cached = this.get(object.metadata.name, object.metadata.namespace);
      return sameVersion(cached, object) ? cached : undefined;
    });
    if (this.stopped) return;
    const again = this.listedBefore;
    this.listedBefore = true;
    const fresh = new Map<string, Map<string, T>>();
    for (const object of listed.items) byNamespace(fresh, object.metadata.namespace).set(object.metadata.name, object);
    // What the cache holds and the list does not was deleted while we were not watching.
    for (const [namespace, objects] of this.objects) {
      for (const [name, object] of objects) {
        if (!fresh.get(namespace)?.has(name)) this.remove(object);
      }
    }
    for (const object of listed.items) this.store(object);
    this.resourceVersion = listed.metadata.resourceVersion ?? "";
    if (again) this.handlers.relisted?.();
  }

  private apply(event: WatchEvent): void {
    const object = event.object as T;
    if (!object?.metadata) return;
    if (event.type === "ADDED" || event.type === "MODIFIED") {
      this.prepare(object, event.type);
      this.store(object);
    } else if (event.type === "DELETED") {
      this.prepare(object, event.type);
      this.remove(object);
    }
    // Every event, bookmarks included, moves the point a new watch resumes from.
    if (object.metadata.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
  }

  // A handler that throws leaves the cache as it was before the event, so the watch that
  // starts again (from the version before it) brings the event, and the handler, back.
  private store(object: T): void {
    const objects = byNamespace(this.objects, object.metadata.namespace);
    const cached = objects.get(object.metadata.name);
    if (sameVersion(cached, object)) return;
    objects.set(object.metadata.name, object);
    try {
      if (cached) this.handlers.update(object);
      else this.handlers.add(object);
    } catch (err) {
      if (cached) objects.set(object.metadata.name, cached);
      else objects.delete(object.metadata.name);
      throw err;
    }
  }

  private remove(object: T): void {
    const namespace = object.metadata.namespace ?? "";
    const objects = this.objects.get(namespace);
    const cached = objects?.get(object.metadata.name);
    if (!objects || !cached) return;
    objects.delete(object.metadata.name);
    if (objects.size === 0) this.objects.delete(namespace);
    try {
      this.handlers.delete(object);
    } catch (err) {
      byNamespace(this.objects, namespace).set(object.metadata.name, cached);
      throw err;
    }
  }
}

function byNamespace<T>(objects: Map<string, Map<string, T>>, namespace: string | undefined): Map<string, T> {
  const key = namespace ?? "";
  let inNamespace = objects.get(key);
  if (!inNamespace) {
    inNamespace = new Map();
    objects.set(key, inNamespace);
  }
  return inNamespace;
}

/** The cache already holds this very version of the object (resourceVersions are the apiserver's). */
function sameVersion<T extends KubeObject>(cached: T | undefined, object: T): cached is T {
  return cached !== undefined && cached.metadata.resourceVersion !== undefined && cached.metadata.resourceVersion === object.metadata.resourceVersion;
}
