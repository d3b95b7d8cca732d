// Turns a rendered kind, name and spec into the Istio object that is applied.
import { ISTIO_SECURITY_API_VERSION, type RenderedMetadata, type RenderedObject, type RenderedSpec } from "./istio-types.js";
import { compareStrings } from "./sorted.js";

export function istioObject(rendered: RenderedSpec, metadata: Omit<RenderedMetadata, "name">): RenderedObject {
  // The cast only re-pairs kind with its own spec type, which RenderedSpec already guarantees.
  return {
    apiVersion: ISTIO_SECURITY_API_VERSION,
    kind: rendered.kind,
    metadata: { name: rendered.name, ...metadata },
    spec: rendered.spec,
  } as RenderedObject;
}

export function byKindThenName(a: RenderedSpec, b: RenderedSpec): number {
  return compareStrings(a.kind, b.kind) || compareStrings(a.name, b.name);
}
