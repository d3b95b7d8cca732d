// Decides whether a server-side apply would change anything, from the cached live object,
// so a reconcile with nothing to do sends no write at all. The live object must contain
// every field we want (drift shows up here), and must carry the hash of exactly what we
// last applied (a field we stopped setting only shows up there). Rendered Istio objects
// carry their own content hash (render/content-hash.ts) and are compared by it alone:
// metadata that does not change what they mean (the source generation) is never a reason
// to write one.
import { contentHashOf, recordedContentHash } from "../render/content-hash.js";
import { canonicalDigest } from "../render/hash.js";
import type { KubeObject } from "./kube-client.js";

export const APPLIED_HASH_ANNOTATION = "security.nexus.io/applied-hash";

/** Where a compacted cached object keeps the content hash of the body it no longer holds. */
const LIVE_CONTENT_HASH = Symbol("liveContentHash");
type Compacted = KubeObject & { [LIVE_CONTENT_HASH]?: string };
const NOT_BODY = new Set(["apiVersion", "kind", "metadata", "status"]);

/**
 * For caches of objects the operator renders whole (the Istio kinds): drops the body
 * (spec) and keeps the content hash of what the object holds, computed as the renderer
 * computes it, which is all renderedNeedsWrite needs. Tens of thousands of rendered policies
 * then cost a few hundred bytes each in memory instead of kilobytes. The hash is exact, so a
 * field someone added to the spec counts as drift too.
 */
export function compactRenderedForCache(object: KubeObject): void {
  const compacted = object as Compacted;
  if (compacted[LIVE_CONTENT_HASH] !== undefined) return;
  const hash = contentHashOf(object);
  // Set to undefined rather than deleted, which would make V8 store the object as a slow,
  // larger dictionary.
  for (const key of Object.keys(object)) if (!NOT_BODY.has(key)) (object as Record<string, unknown>)[key] = undefined;
  compacted[LIVE_CONTENT_HASH] = hash;
}

/**
 * Whether a rendered object (one carrying its content hash) must be written: it is missing,
 * it was last written with other content, someone changed its content since, or our owner
 * reference is gone. Nothing else counts: an object whose content did not change is not
 * written, whatever else changed in its policy.
 */
export function renderedNeedsWrite(desired: KubeObject, live: KubeObject | undefined): boolean {
  const want = recordedContentHash(desired);
  if (want === undefined) throw new Error(`${desired.kind} ${desired.metadata.name} was rendered without a content hash`);
  if (!live) return true;
  if (recordedContentHash(live) !== want) return true;
  const holds = (live as Compacted)[LIVE_CONTENT_HASH] ?? contentHashOf(live);
  if (holds !== want) return true;
  return !contains(live.metadata.ownerReferences, desired.metadata.ownerReferences, ["metadata"]);
}

/** For objects without a content hash of their own (ServiceAccount, Certificate): the desired object with the applied-hash annotation that records its own content. */
export function withAppliedHash<T extends KubeObject>(desired: T): T {
  const annotations = { ...(desired.metadata.annotations ?? {}) };
  delete annotations[APPLIED_HASH_ANNOTATION];
  const hash = canonicalDigest({ ...desired, metadata: { ...desired.metadata, annotations } }).slice(0, 32);
  return { ...desired, metadata: { ...desired.metadata, annotations: { ...annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

export function needsApply(desiredWithHash: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return true;
  const want = desiredWithHash.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== want) return true;
  return !contains(live, desiredWithHash, []);
}

// Lists under metadata (ownerReferences, finalizers) are shared with other controllers,
// so there it is enough that ours are present; everywhere else a list must match exactly.
function contains(live: unknown, desired: unknown, path: string[]): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return false;
    if (path[0] === "metadata") return desired.every((d) => live.some((l) => contains(l, d, path)));
    return live.length === desired.length && desired.every((d, i) => contains(live[i], d, path));
  }
  if (desired !== null && typeof desired === "object") {
    if (live === null || typeof live !== "object" || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) => contains((live as Record<string, unknown>)[k], v, [...path, k]));
  }
  return live === desired;
}
