// Turns a rendered kind, name and spec into the Istio object that is applied, with the hash
// of its own content recorded on it.
import { contentHashOf } from "../render/content-hash.js";
import { CONTENT_HASH_ANNOTATION } from "../render/metadata.js";
import { ISTIO_SECURITY_API_VERSION, type RenderedMetadata, type RenderedObject, type RenderedSpec } from "./istio-types.js";
import { compareStrings } from "./sorted.js";

export function istioObject(rendered: RenderedSpec, metadata: Omit<RenderedMetadata, "name">): RenderedObject {
  const contentHash = contentHashOf({ metadata, spec: rendered.spec });
  const annotations = withContentHash(metadata.annotations, contentHash);
  // The cast only re-pairs kind with its own spec type, which RenderedSpec already guarantees.
  return {
    apiVersion: ISTIO_SECURITY_API_VERSION,
    kind: rendered.kind,
    metadata: metadataInKeyOrder(rendered.name, { ...metadata, annotations }),
    spec: rendered.spec,
  } as RenderedObject;
}

/** The annotations with the content hash, keys in sorted order. */
function withContentHash(annotations: Record<string, string> | undefined, contentHash: string): Record<string, string> {
  const all: Record<string, string> = { ...annotations, [CONTENT_HASH_ANNOTATION]: contentHash };
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(all).sort()) sorted[key] = all[key]!;
  return sorted;
}

/** The metadata with its usual keys in sorted order (annotations, labels, name, namespace, ownerReferences), as writers read them. */
function metadataInKeyOrder(name: string, metadata: Omit<RenderedMetadata, "name">): RenderedMetadata {
  const { annotations, labels, namespace, ownerReferences } = metadata;
  // Literals rather than spreads: this runs for every rendered object.
  if (annotations !== undefined) {
    return ownerReferences !== undefined ? { annotations, labels, name, namespace, ownerReferences } : { annotations, labels, name, namespace };
  }
  return ownerReferences !== undefined ? { labels, name, namespace, ownerReferences } : { labels, name, namespace };
}

export function byKindThenName(a: RenderedSpec, b: RenderedSpec): number {
  return compareStrings(a.kind, b.kind) || compareStrings(a.name, b.name);
}
