import { describe, expect, it } from "vitest";
import { KubeApiError, type KubeList, type KubeObject, type WatchEvent } from "./kube-client.js";
import { ListWatchCache, type ListWatchSource } from "./list-watch.js";

function obj(name: string, resourceVersion: string, namespace = "team"): KubeObject {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace, resourceVersion } };
}

type WatchRound = (rv: string, emit: (event: WatchEvent) => void, signal: AbortSignal) => Promise<void>;

/** A source that answers lists and watch rounds from scripts, recording what was asked. */
class ScriptedSource implements ListWatchSource<KubeObject> {
  lists: KubeList<KubeObject>[] = [];
  rounds: WatchRound[] = [];
  watchedFrom: string[] = [];
  listCount = 0;
  /** Per listed object, the cache's copy the cache named for it. */
  cachedCopies: Array<[string, KubeObject | undefined]> = [];

  /** Lists the script's next collection, each object the cache still holds at that version as its cached copy. */
  async list(cached: (listed: KubeObject) => KubeObject | undefined): Promise<KubeList<KubeObject>> {
    this.listCount++;
    const next = this.lists.shift();
    if (!next) throw new Error("no list scripted");
    return {
      ...next,
      items: next.items.map((item) => {
        const copy = cached(item);
        this.cachedCopies.push([item.metadata.name, copy]);
        return copy ?? item;
      }),
    };
  }

  async watch(rv: string, onEvent: (event: WatchEvent) => void, onConnected: () => void, signal: AbortSignal): Promise<void> {
    this.watchedFrom.push(rv);
    const round = this.rounds.shift();
    if (!round) return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    onConnected();
    return round(rv, onEvent, signal);
  }
}

function recordingCache(source: ScriptedSource) {
  const seen: string[] = [];
  const cache = new ListWatchCache<KubeObject>(
    source,
    {
      add: (o) => seen.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
      update: (o) => seen.push(`update ${o.metadata.name}@${o.metadata.resourceVersion}`),
      delete: (o) => seen.push(`delete ${o.metadata.name}`),
      connected: () => seen.push("connected"),
      relisted: () => seen.push("relisted"),
    },
    (o) => {
      o.metadata.labels = { prepared: "yes" };
    },
  );
  return { cache, seen };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}

describe("ListWatchCache", () => {
  it("lists, then follows the watch from the list's version, preparing each watched object", async () => {
    const source = new ScriptedSource();
    source.lists.push({ items: [obj("a", "5")], metadata: { resourceVersion: "10" } });
    source.rounds.push(async (_rv, emit) => {
      emit({ type: "ADDED", object: obj("b", "11") });
      emit({ type: "MODIFIED", object: obj("a", "12") });
      emit({ type: "DELETED", object: obj("b", "13") });
    });
    const { cache, seen } = recordingCache(source);
    const running = cache.run();
    await until(() => source.watchedFrom.length === 2);
    expect(source.watchedFrom).toEqual(["10", "13"]);
    expect(seen).toEqual(["add a@5", "connected", "add b@11", "update a@12", "delete b"]);
    expect(cache.get("a", "team")?.metadata.labels).toEqual({ prepared: "yes" });
    expect(cache.list().map((o) => o.metadata.name)).toEqual(["a"]);
    await cache.stop();
    await running;
  });

  it("moves its resume point on bookmarks without touching the cache", async () => {
    const source = new ScriptedSource();
    source.lists.push({ items: [], metadata: { resourceVersion: "1" } });
    source.rounds.push(async (_rv, emit) => emit({ type: "BOOKMARK", object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "", resourceVersion: "99" } } }));
    const { cache, seen } = recordingCache(source);
    const running = cache.run();
    await until(() => source.watchedFrom.length === 2);
    expect(source.watchedFrom[1]).toBe("99");
    expect(seen).toEqual(["connected"]);
    await cache.stop();
    await running;
  });

  it("lists again after 410 Gone and reports what changed meanwhile as adds, updates and deletes", async () => {
    const source = new ScriptedSource();
    source.lists.push({ items: [obj("kept", "1"), obj("changed", "1"), obj("gone", "1")], metadata: { resourceVersion: "3" } });
    source.lists.push({ items: [obj("kept", "1"), obj("changed", "7"), obj("new", "8")], metadata: { resourceVersion: "9" } });
    source.rounds.push(async () => {
      throw new KubeApiError(410, "Expired", "too old resource version");
    });
    const { cache, seen } = recordingCache(source);
    const running = cache.run();
    await until(() => source.watchedFrom.length === 2);
    expect(source.listCount).toBe(2);
    expect(source.watchedFrom).toEqual(["3", "9"]);
    // The first list is no relist; the second says so once it has replaced the cache.
    expect(seen.slice(0, 3)).toEqual(["add kept@1", "add changed@1", "add gone@1"]);
    expect(seen.slice(3)).toEqual(["connected", "delete gone", "update changed@7", "add new@8", "relisted"]);
    await cache.stop();
    await running;
  });

  it("keeps its own copy of each object a relist finds at the same version, and takes the listed copy of each changed one", async () => {
    const source = new ScriptedSource();
    source.lists.push({ items: [obj("kept", "1"), obj("changed", "1")], metadata: { resourceVersion: "3" } });
    const keptAgain = obj("kept", "1");
    const changedAgain = obj("changed", "7");
    source.lists.push({ items: [keptAgain, changedAgain], metadata: { resourceVersion: "9" } });
    let expire = () => {};
    const expired = new Promise<void>((resolve) => (expire = resolve));
    source.rounds.push(async () => {
      await expired;
      throw new KubeApiError(410, "Expired", "too old resource version");
    });
    const { cache, seen } = recordingCache(source);
    const running = cache.run();
    await until(() => source.watchedFrom.length === 1);
    const keptBefore = cache.get("kept", "team");
    expect(keptBefore).toBeDefined();
    expire();
    await until(() => source.watchedFrom.length === 2);
    // The same version: the cache names its own copy, which stays; the listed copy is not kept.
    expect(source.cachedCopies.slice(2)).toEqual([
      ["kept", keptBefore],
      ["changed", undefined],
    ]);
    expect(source.cachedCopies[2]![1]).toBe(keptBefore);
    expect(cache.get("kept", "team")).toBe(keptBefore);
    expect(cache.get("kept", "team")).not.toBe(keptAgain);
    expect(cache.get("changed", "team")).toBe(changedAgain);
    expect(seen.slice(2)).toEqual(["connected", "update changed@7", "relisted"]);
    await cache.stop();
    await running;
  });

  it("ends with the error on any other failure, keeping its cache and resume point", async () => {
    const source = new ScriptedSource();
    source.lists.push({ items: [obj("a", "1")], metadata: { resourceVersion: "4" } });
    source.rounds.push(async () => {
      throw new KubeApiError(0, "ConnectionFailed", "connection reset");
    });
    const { cache } = recordingCache(source);
    await expect(cache.run()).rejects.toThrow("connection reset");
    expect(cache.latestResourceVersion()).toBe("4");
    expect(cache.get("a", "team")).toBeDefined();
    // Run again (the supervisor's restart): it resumes the watch without listing.
    const again = cache.run();
    await until(() => source.watchedFrom.length === 2);
    expect(source.listCount).toBe(1);
    expect(source.watchedFrom[1]).toBe("4");
    await cache.stop();
    await again;
  });

  it("treats a watch the server ends at once with nothing in it as a failure, not a loop", async () => {
    const source = new ScriptedSource();
    source.lists.push({ items: [], metadata: { resourceVersion: "2" } });
    source.rounds.push(async () => undefined);
    const { cache } = recordingCache(source);
    await expect(cache.run()).rejects.toThrow("ended the watch as soon as it began");
    expect(source.watchedFrom).toEqual(["2"]);
  });

  it("stop() ends the watch in flight and resolves only once the loop has returned", async () => {
    const source = new ScriptedSource();
    source.lists.push({ items: [], metadata: { resourceVersion: "2" } });
    let aborted = false;
    source.rounds.push((_rv, _emit, signal) => new Promise((resolve) => signal.addEventListener("abort", () => {
      aborted = true;
      resolve();
    })));
    const { cache } = recordingCache(source);
    const running = cache.run();
    await until(() => source.watchedFrom.length === 1);
    await cache.stop();
    expect(aborted).toBe(true);
    await expect(running).resolves.toBeUndefined();
    expect(source.watchedFrom).toEqual(["2"]);
  });
});
