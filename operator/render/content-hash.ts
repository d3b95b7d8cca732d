// The version of one rendered object, and of everything one policy rendered. Each object
// carries the hash of its own content, so a change of one shard rewrites that shard only;
// the policy's version is derived from the objects' hashes and lives in its status and
// Events, never on the objects (that would make every object change with any one of them).
import { canonicalDigest, canonicalJson } from "./hash.js";
import { BASELINE_LABEL, CONTENT_HASH_ANNOTATION, IDENTITY_LABEL, ISTIO_DRY_RUN_ANNOTATION, MANAGED_BY_LABEL, POLICY_LABEL, WORKLOAD_MTLS_LABEL } from "./metadata.js";

/** The labels and annotations the operator sets whose change changes an object's meaning or ownership; other writers' keys are not ours to hash. */
const HASHED_LABELS = [BASELINE_LABEL, MANAGED_BY_LABEL, POLICY_LABEL, IDENTITY_LABEL, WORKLOAD_MTLS_LABEL].sort();
const HASHED_ANNOTATIONS = [ISTIO_DRY_RUN_ANNOTATION];

export interface HashedObject {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

/**
 * sha256 (hex) of an object's rendered content: its spec, the operator's labels and the
 * dry-run annotation (turning enforcement on is a change an audit must see). Computed the
 * same way for a rendered object and for a live one read back, so the two compare.
 */
export function contentHashOf(object: HashedObject): string {
  return canonicalDigest({
    annotations: pick(object.metadata.annotations, HASHED_ANNOTATIONS),
    labels: pick(object.metadata.labels, HASHED_LABELS),
    spec: object.spec ?? null,
  });
}

/** The labels and annotations contentHashOf covers, as one text: equal texts, equal metadata in the hash. */
export function hashedMetadataKey(object: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } }): string {
  return canonicalJson([pick(object.metadata?.annotations, HASHED_ANNOTATIONS), pick(object.metadata?.labels, HASHED_LABELS)]);
}

/** The content hash an object carries (what it was written as), if any. */
export function recordedContentHash(object: { metadata: { annotations?: Record<string, string> } }): string | undefined {
  return object.metadata.annotations?.[CONTENT_HASH_ANNOTATION];
}

/**
 * A policy's version: sha256 over the sorted (kind, name, content hash) of every object it
 * rendered. Any object changed, added or removed changes it.
 */
export function policyHashOf(objects: ReadonlyArray<{ kind: string; metadata: { name: string; annotations?: Record<string, string> } }>): string {
  const entries = objects.map((o) => [o.kind, o.metadata.name, recordedContentHash(o) ?? ""] as const);
  entries.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
  return canonicalDigest(entries);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pick(record: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  if (!record) return picked;
  for (const key of keys) if (record[key] !== undefined) picked[key] = record[key];
  return picked;
}
