// Whether a rendered object must be written, from the cache of its kind, reading the live
// object whole only when the cache cannot tell: the caches of rendered objects watch
// metadata only, and an object whose generation moved since its body was last known (someone
// else changed its spec) is read once to see what it holds. After a write of ours, what the
// object then holds is recorded from the apply's answer, so our own write coming back through
// the watch is never read again.
import type { Caches } from "../caches.js";
import { FIELD_MANAGER } from "../render/metadata.js";
import { rememberOtherFieldManagers } from "../runtime/field-managers.js";
import { contentHashOf, recordedContentHash } from "../render/content-hash.js";
import { compactRenderedForCache, recordApplied, recordRead, renderedWriteNeed } from "../runtime/apply-if-changed.js";
import { replaceSpecOthersAdded } from "../runtime/foreign-spec.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { resourceOf } from "../runtime/resources.js";
import { renderedCacheFor } from "./rendered-caches.js";

export interface RenderedLive {
  /** The cached live object (metadata, and what its body is known to hold), if any. */
  live: KubeObject | undefined;
  needsWrite: boolean;
}

/**
 * Objects this process created whose echo its cache has not shown yet (kind/namespace/name).
 * Under load the echo can trail the next reconcile of the same object by hundreds of
 * milliseconds; a cache miss for one of these is confirmed by a read instead of a second
 * apply (a read, unlike a blind write, also sees a deletion in between). Bounded: an entry
 * pushed out only means a miss is written again, as without it.
 */
const unseenCreations = new Set<string>();
const UNSEEN_CREATIONS_KEPT = 4096;

const objectKeyOf = (object: KubeObject) => `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;

export async function renderedLive(client: KubeClient, caches: Caches, desired: KubeObject): Promise<RenderedLive> {
  const live = renderedCacheFor(caches, desired.kind).get(desired.metadata.name, desired.metadata.namespace);
  // Most reconciles find nothing pending: no key is built for them.
  if (unseenCreations.size > 0) {
    if (live) unseenCreations.delete(objectKeyOf(desired));
    else if (unseenCreations.has(objectKeyOf(desired))) return confirmUnseenCreation(client, desired);
  }
  const need = renderedWriteNeed(desired, live);
  if (need !== "read") return { live, needsWrite: need === "write" };
  const full = await readLive(client, desired);
  if (!full) return { live, needsWrite: true };
  // Who else wrote it is named when the drift is repaired (the informer keeps the same for what it caches).
  rememberOtherFieldManagers(full, FIELD_MANAGER);
  recordRead(full, live);
  // What was read is newer than or as new as the cache: decide on it (never "read" again).
  return { live: full, needsWrite: renderedWriteNeed(desired, full) !== "none" };
}

/** The live object read whole, or undefined when there is none. */
function readLive(client: KubeClient, desired: KubeObject): Promise<KubeObject | undefined> {
  return client.getIfExists<KubeObject>(resourceOf(desired.apiVersion, desired.kind), desired.metadata.name, desired.metadata.namespace);
}

/**
 * A cache miss for an object this process created moments ago: read it. What it holds was
 * written by us, so a difference is our own newer rendering, not drift (live stays undefined).
 */
async function confirmUnseenCreation(client: KubeClient, desired: KubeObject): Promise<RenderedLive> {
  const full = await readLive(client, desired);
  if (!full) {
    unseenCreations.delete(objectKeyOf(desired));
    return { live: undefined, needsWrite: true };
  }
  compactRenderedForCache(full);
  return { live: undefined, needsWrite: renderedWriteNeed(desired, full) !== "none" };
}

/**
 * Server-side applies a rendered object and records what it now holds, undoing any field
 * another writer added that we do not render (runtime/foreign-spec.ts).
 */
export async function applyRendered(client: KubeClient, caches: Caches, desired: KubeObject): Promise<void> {
  const response = await client.apply(desired);
  const cached = () => renderedCacheFor(caches, desired.kind).get(desired.metadata.name, desired.metadata.namespace);
  if (!cached()) {
    unseenCreations.add(objectKeyOf(desired));
    if (unseenCreations.size > UNSEEN_CREATIONS_KEPT) unseenCreations.delete(unseenCreations.values().next().value as string);
  }
  recordApplied(desired, response, cached());
  const full = await replaceSpecOthersAdded(client, desired, response, (live) => contentHashOf(live) === recordedContentHash(desired));
  if (full) recordRead(full, cached());
}
