// A live object as the operator's renderer sees it: without what the apiserver adds
// (uid, resourceVersion, managedFields, status, ...), without the owner reference (it
// names the source's uid, which files do not have) and without the operator's own
// applied-hash bookkeeping. What remains is compared byte for byte with `nexus render`.
import { SOURCE_GENERATION_ANNOTATION } from "../render/metadata.js";
import { APPLIED_HASH_ANNOTATION } from "../runtime/apply-if-changed.js";
import type { KubeObject } from "../runtime/kube-client.js";

const SERVER_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers"];

export function comparableLiveObject(live: KubeObject): KubeObject {
  const { status: _status, ...rest } = live;
  const metadata: Record<string, unknown> = { ...live.metadata };
  for (const field of SERVER_METADATA) delete metadata[field];
  const annotations = { ...(live.metadata.annotations ?? {}) };
  delete annotations[APPLIED_HASH_ANNOTATION];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  if (metadata.labels && Object.keys(metadata.labels).length === 0) delete metadata.labels;
  return { ...rest, metadata: metadata as KubeObject["metadata"] };
}

/** Rendered objects without owner references, for comparing with comparableLiveObject. */
export function comparableRenderedObject(rendered: KubeObject): KubeObject {
  const { ownerReferences: _owner, ...metadata } = rendered.metadata;
  return { ...rendered, metadata: metadata as KubeObject["metadata"] };
}

/**
 * The object without the source generation, for `nexus diff`: the operator does not rewrite
 * an object whose content did not change, so a live object may name an earlier generation of
 * its policy than the one `nexus render` predicts, and that is no difference worth showing.
 */
export function withoutSourceGeneration(object: KubeObject): KubeObject {
  const annotations = object.metadata.annotations;
  if (annotations?.[SOURCE_GENERATION_ANNOTATION] === undefined) return object;
  const { [SOURCE_GENERATION_ANNOTATION]: _generation, ...rest } = annotations;
  const { annotations: _all, ...metadata } = object.metadata;
  return { ...object, metadata: (Object.keys(rest).length > 0 ? { ...metadata, annotations: rest } : metadata) as KubeObject["metadata"] };
}
