// Decides whether a server-side apply would change anything, from the cached live object,
// so a reconcile with nothing to do sends no write at all. The live object must contain
// every field we want (drift shows up here), and must carry the hash of exactly what we
// last applied (a field we stopped setting only shows up there).
import { canonicalDigest } from "../render/hash.js";
import type { KubeObject } from "./kube-client.js";

export const APPLIED_HASH_ANNOTATION = "security.nexus.io/applied-hash";

/** Where a compacted cached object keeps the digest of the body it no longer holds. */
const BODY_DIGEST = Symbol("bodyDigest");
type Compacted = KubeObject & { [BODY_DIGEST]?: string };
const NOT_BODY = new Set(["apiVersion", "kind", "metadata", "status"]);

/**
 * For caches of objects the operator renders whole (the Istio kinds): drops the body
 * (spec) and keeps a digest of it, which is all needsApply needs. Tens of thousands of
 * rendered policies then cost a few hundred bytes each in memory instead of kilobytes.
 * The digest is exact, so a field someone added to the body counts as drift too.
 */
export function compactRenderedForCache(object: KubeObject): void {
  const compacted = object as Compacted;
  if (compacted[BODY_DIGEST] !== undefined) return;
  const digest = bodyDigest(object);
  // Set to undefined rather than deleted, which would make V8 store the object as a slow,
  // larger dictionary.
  for (const key of Object.keys(object)) if (!NOT_BODY.has(key)) (object as Record<string, unknown>)[key] = undefined;
  compacted[BODY_DIGEST] = digest;
}

function bodyDigest(object: KubeObject): string {
  const body = Object.fromEntries(Object.entries(object).filter(([key]) => !NOT_BODY.has(key)));
  return canonicalDigest(body).slice(0, 32);
}

/** The desired object with the applied-hash annotation that records its own content. */
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
  const liveDigest = (live as Compacted)[BODY_DIGEST];
  if (liveDigest === undefined) return !contains(live, desiredWithHash, []);
  return liveDigest !== bodyDigest(desiredWithHash) || !contains(live.metadata, desiredWithHash.metadata, ["metadata"]);
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
