// What every informer cache does to an object before keeping it, so that tens of thousands
// of cached objects fit in a small container. Watched objects are stored by ListWatch
// before the handlers see them; changing the same object in place changes the cached copy.
import type { KubeObject } from "./kube-client.js";

const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

export function slimForCache(object: KubeObject): void {
  if (!object.metadata) return;
  dropUnreadMetadata(object);
  shareRepeatedStrings(object);
}

/**
 * managedFields and kubectl's copy of the last applied configuration are often the largest
 * parts of an object and no reconciler reads them (controller-runtime's cache transforms
 * drop them too). The metadata is copied rather than `delete`d from: V8 turns an object
 * it deletes a property from into a slow dictionary several times the size.
 */
function dropUnreadMetadata(object: KubeObject): void {
  const metadata = object.metadata;
  const lastApplied = metadata.annotations !== undefined && LAST_APPLIED_ANNOTATION in metadata.annotations;
  if (!("managedFields" in metadata) && !lastApplied) return;
  const { managedFields: _dropped, ...kept } = metadata;
  if (lastApplied) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...annotations } = metadata.annotations!;
    kept.annotations = annotations;
  }
  object.metadata = kept;
}

// JSON.parse gives every string value its own copy: each cached object carries its own
// "security.istio.io/v1", its own condition reasons and timestamps. Values that repeat
// across objects are swapped for one shared copy. The pool is bounded; when full it
// starts over, which only costs some sharing.
const POOL_LIMIT = 20_000;
const pool = new Map<string, string>();

function shared(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const known = pool.get(value);
  if (known !== undefined) return known;
  if (pool.size >= POOL_LIMIT) pool.clear();
  pool.set(value, value);
  return value;
}

function shareFields(record: Record<string, unknown> | undefined, fields: readonly string[]): void {
  if (!record) return;
  for (const field of fields) if (typeof record[field] === "string") record[field] = shared(record[field]);
}

function shareEach(list: unknown, fields: readonly string[]): void {
  if (Array.isArray(list)) for (const item of list) shareFields(item as Record<string, unknown>, fields);
}

function shareRepeatedStrings(object: KubeObject): void {
  shareFields(object as Record<string, unknown>, ["apiVersion", "kind"]);
  const metadata = object.metadata;
  shareFields(metadata, ["namespace", "creationTimestamp"]);
  if (metadata.labels) shareFields(metadata.labels, Object.keys(metadata.labels));
  shareEach(metadata.ownerReferences, ["apiVersion", "kind"]);
  const status = object.status as Record<string, unknown> | undefined;
  if (status && typeof status === "object") {
    shareEach(status.conditions, ["type", "status", "reason", "message", "lastTransitionTime"]);
    shareEach(status.rendered, ["apiVersion", "kind", "namespace"]);
  }
}

/**
 * For caches that only answer "does an object of this name exist, and whose is it": the
 * body and every field of metadata but the name, namespace, uid, version and owners go
 * (set to undefined rather than deleted, for the reason given above).
 */
export function keepNameAndOwnersOnly(object: KubeObject): void {
  const { name, namespace, uid, resourceVersion, ownerReferences } = object.metadata;
  object.metadata = { name, namespace, uid, resourceVersion, ...(ownerReferences ? { ownerReferences } : {}) };
  for (const key of Object.keys(object)) if (key !== "metadata" && key !== "apiVersion" && key !== "kind") (object as Record<string, unknown>)[key] = undefined;
}
