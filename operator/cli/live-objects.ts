// A live object as the operator's renderer sees it: without what the apiserver adds
// (uid, resourceVersion, managedFields, status, ...), without the owner reference (it
// names the source's uid, which files do not have) and without the operator's own
// applied-hash bookkeeping. What remains is compared byte for byte with `nexus render`.
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
