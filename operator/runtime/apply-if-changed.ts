// Decides whether a server-side apply would change anything, from the cached live object,
// so a reconcile with nothing to do sends no write at all. The live object must contain
// every field we want (drift shows up here), and must carry the hash of exactly what we
// last applied (a field we stopped setting only shows up there). Rendered Istio objects
// carry their own content hash (render/content-hash.ts) and are compared by it alone:
// metadata that does not change what they mean (the source generation) is never a reason
// to write one.
import { contentHashOf, hashedMetadataKey, recordedContentHash } from "../render/content-hash.js";
import { FIELD_MANAGER } from "../render/metadata.js";
import { canonicalDigest } from "../render/hash.js";
import type { KubeObject } from "./kube-client.js";

export const APPLIED_HASH_ANNOTATION = "security.nexus.io/applied-hash";

/**
 * What a cached rendered object is known to hold: the content hash of its body at one
 * generation, with the operator's labels and annotations it was hashed with. The caches of
 * rendered objects watch metadata only (an object's body never comes back through the
 * watch), so the body is known from a full read (the informer's list, or a GET) or from our
 * own write; metadata.generation changes with every change of the body, so a generation
 * other than the one recorded means someone changed it, and it is read again.
 */
const VERIFIED = Symbol("verifiedContent");
const METADATA_ONLY = Symbol("metadataOnly");
interface VerifiedContent {
  uid: string | undefined;
  generation: number | undefined;
  /** The hashed labels and annotations (content-hash.ts), which the hash covers too. */
  metadata: string;
  hash: string;
}
type Verifiable = KubeObject & { [VERIFIED]?: VerifiedContent; [METADATA_ONLY]?: boolean };
const NOT_BODY = new Set(["apiVersion", "kind", "metadata", "status"]);
/** The kind a metadata-only watch or response answers with. */
const PARTIAL_OBJECT_METADATA = "PartialObjectMetadata";

function verifiedOf(object: KubeObject, hash: string): VerifiedContent {
  return { uid: object.metadata.uid, generation: object.metadata.generation, metadata: hashedMetadataKey(object), hash };
}

/** Whether the object is metadata only (a metadata watch event, an apply response). */
export function isMetadataOnly(object: KubeObject): boolean {
  return object.kind === PARTIAL_OBJECT_METADATA || (object as Verifiable)[METADATA_ONLY] === true;
}

/**
 * Marks an object that came through a metadata-only watch (its kind and apiVersion are then
 * set to those of the resource, as the rest of the operator reads them).
 */
export function markMetadataOnly(object: KubeObject, apiVersion: string, kind: string): void {
  (object as Verifiable)[METADATA_ONLY] = true;
  object.apiVersion = apiVersion;
  object.kind = kind;
}

/**
 * For caches of objects the operator renders whole (the Istio kinds): drops the body
 * (spec) of an object read whole and keeps the content hash of what it holds, computed as
 * the renderer computes it, which is all renderedWriteNeed needs. Tens of thousands of
 * rendered policies then cost a few hundred bytes each in memory instead of kilobytes. The
 * hash is exact, so a field someone added to the spec counts as drift too. A metadata-only
 * object has no body to hash: what is known of it comes from the object it replaces
 * (carryVerifiedContent) or from our own write (recordApplied).
 */
export function compactRenderedForCache(object: KubeObject): void {
  if (isMetadataOnly(object) || !hasBody(object)) return;
  const verified = takeOwnWriteIfCurrent(object) ?? verifiedOf(object, contentHashOf(object));
  // Set to undefined rather than deleted, which would make V8 store the object as a slow,
  // larger dictionary.
  for (const key of Object.keys(object)) if (!NOT_BODY.has(key)) (object as Record<string, unknown>)[key] = undefined;
  (object as Verifiable)[VERIFIED] = verified;
}

/**
 * What our own write said the object holds, if it still holds it (same uid, generation and
 * hashed metadata): a body changes only with its generation, so hashing hundreds of KiB
 * again would only confirm it. The record is used up.
 */
function takeOwnWriteIfCurrent(live: KubeObject): VerifiedContent | undefined {
  const uid = live.metadata.uid;
  const written = uid ? appliedContents.get(uid) : undefined;
  if (!isCurrent(written, live)) return undefined;
  appliedContents.delete(uid!);
  return written;
}

function hasBody(object: KubeObject): boolean {
  for (const key of Object.keys(object)) if (!NOT_BODY.has(key) && object[key] !== undefined) return true;
  return false;
}

/**
 * A metadata-only watch event replaces the cached object: what was known of the one it
 * replaces still holds as long as uid, generation and the hashed metadata are the same
 * (liveContentHash checks that when it is asked), and a write of ours may have said what
 * the new generation holds.
 */
export function carryVerifiedContent(next: KubeObject, previous: KubeObject | undefined): void {
  const uid = next.metadata?.uid;
  const pending = uid ? appliedContents.get(uid) : undefined;
  if (pending && pending.generation === next.metadata.generation) {
    (next as Verifiable)[VERIFIED] = pending;
    appliedContents.delete(uid!);
    return;
  }
  const known = previous ? (previous as Verifiable)[VERIFIED] : undefined;
  if (known && (next as Verifiable)[VERIFIED] === undefined) (next as Verifiable)[VERIFIED] = known;
}

/**
 * The content hash the live object holds, when it is known: undefined when it must be read
 * (someone changed its body, or it came in metadata only and nothing is known of it).
 */
export function liveContentHash(live: KubeObject): string | undefined {
  const verifiable = live as Verifiable;
  let known = verifiable[VERIFIED];
  if (!isCurrent(known, live)) {
    const written = takeOwnWriteIfCurrent(live);
    if (written) verifiable[VERIFIED] = known = written;
  }
  if (isCurrent(known, live)) return known!.hash;
  // An object read whole and never compacted (tests, the CLI) is hashed as it stands.
  if (!isMetadataOnly(live) && hasBody(live)) return contentHashOf(live);
  return undefined;
}

function isCurrent(known: VerifiedContent | undefined, live: KubeObject): boolean {
  return known !== undefined && known.uid === live.metadata.uid && known.generation === live.metadata.generation && known.metadata === hashedMetadataKey(live);
}

/**
 * What our own server-side apply of `desired` left in the object, from the apply's
 * metadata-only response: the body is the one we sent when no other field manager owns a
 * part of the spec (a part we do not set would still be there) and the hashed metadata is
 * ours. Kept with the cached object, or until the watch brings the object at that generation.
 */
export function recordApplied(desired: KubeObject, response: { metadata: KubeObject["metadata"] } | undefined, cached: KubeObject | undefined): void {
  const hash = recordedContentHash(desired);
  const uid = response?.metadata?.uid;
  if (hash === undefined || !uid || response.metadata.generation === undefined) return;
  if (hashedMetadataKey(response) !== hashedMetadataKey(desired)) return;
  if (othersOwnSpec(response.metadata)) return;
  const verified: VerifiedContent = { uid, generation: response.metadata.generation, metadata: hashedMetadataKey(desired), hash };
  if (cached && cached.metadata.uid === uid && cached.metadata.generation === verified.generation) {
    (cached as Verifiable)[VERIFIED] = verified;
    return;
  }
  appliedContents.delete(uid);
  appliedContents.set(uid, verified);
  if (appliedContents.size > MAX_PENDING) appliedContents.delete(appliedContents.keys().next().value as string);
}

/**
 * An object read whole (its generation moved since it was last known): its hash is kept
 * with the cached object as well, so the next reconcile does not read it again.
 */
export function recordRead(full: KubeObject, cached: KubeObject | undefined): void {
  compactRenderedForCache(full);
  const known = (full as Verifiable)[VERIFIED];
  if (cached && known && isCurrent(known, cached)) (cached as Verifiable)[VERIFIED] = known;
}

// Writes of ours whose watch event has not come yet, by uid (uids never repeat, so what is
// known of a uid at a generation is true whoever recorded it). Bounded: an entry whose
// event never comes (the object was deleted meanwhile) is dropped in time.
const appliedContents = new Map<string, VerifiedContent>();
const MAX_PENDING = 50_000;

interface ManagedFieldsEntry {
  manager?: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

/** Whether a field manager other than ours owns a part of the spec (or the object does not say). */
export function othersOwnSpec(metadata: KubeObject["metadata"]): boolean {
  const entries = metadata.managedFields as ManagedFieldsEntry[] | undefined;
  if (!Array.isArray(entries)) return true;
  return entries.some((e) => e.manager !== FIELD_MANAGER && !e.subresource && (e.fieldsV1 === undefined || "f:spec" in e.fieldsV1));
}

export type WriteNeed = "write" | "none" | "read";

/**
 * Whether a rendered object (one carrying its content hash) must be written: it is missing,
 * it was last written with other content, someone changed its content since, or our owner
 * reference is gone. Nothing else counts: an object whose content did not change is not
 * written, whatever else changed in its policy. "read": the cached object is metadata
 * only and its body changed since it was last known; read it whole and ask again.
 */
export function renderedWriteNeed(desired: KubeObject, live: KubeObject | undefined): WriteNeed {
  const want = recordedContentHash(desired);
  if (want === undefined) throw new Error(`${desired.kind} ${desired.metadata.name} was rendered without a content hash`);
  if (!live) return "write";
  if (recordedContentHash(live) !== want) return "write";
  if (!contains(live.metadata.ownerReferences, desired.metadata.ownerReferences, ["metadata"])) return "write";
  const holds = liveContentHash(live);
  if (holds === undefined) return "read";
  return holds === want ? "none" : "write";
}

/** renderedWriteNeed for a live object read whole (or compacted from one). */
export function renderedNeedsWrite(desired: KubeObject, live: KubeObject | undefined): boolean {
  const need = renderedWriteNeed(desired, live);
  if (need === "read") throw new Error(`${desired.kind} ${desired.metadata.name}: the cached object is metadata only and what it holds is not known; read it first`);
  return need === "write";
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
