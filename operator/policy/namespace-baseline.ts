// The zero-trust floor of a namespace: allow nothing, and STRICT mTLS for every workload.
// It is shared by all NEXUS objects of the namespace, so it has no owner.
import { BASELINE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../render/metadata.js";
import { DEFAULT_DENY_NAME, STRICT_MTLS_NAME } from "../render/names.js";
import type { RenderedObject, RenderedSpec } from "./istio-types.js";
import { byKindThenName, istioObject } from "./rendered-object.js";

export { DEFAULT_DENY_NAME, STRICT_MTLS_NAME };

export function renderNamespaceBaseline(namespace: string): RenderedObject[] {
  const specs: RenderedSpec[] = [
    // An ALLOW policy with no rules selects every workload and matches nothing: allow nothing.
    { kind: "AuthorizationPolicy", name: DEFAULT_DENY_NAME, spec: {} },
    { kind: "PeerAuthentication", name: STRICT_MTLS_NAME, spec: { mtls: { mode: "STRICT" } } },
  ];
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [BASELINE_LABEL]: "true" };
  return specs.sort(byKindThenName).map((rendered) => istioObject(rendered, { namespace, labels: { ...labels } }));
}
