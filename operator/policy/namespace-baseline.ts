// The zero-trust floor of a namespace: allow nothing, and STRICT mTLS for every workload.
// It is shared by all NEXUS objects of the namespace, so it has no owner.
//
// Upgrading from the baseline `spec: {}` (before 2026-12-04): its content hash differs, so the
// baseline reconciler rewrites it in place with one apply. Neither form admits anyone on a
// sidecar or at ztunnel (no rules, or one rule no caller meets), so no moment is wider there;
// on proxyless gRPC the rewrite closes what the old form left open.
import { BASELINE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../render/metadata.js";
import { DEFAULT_DENY_NAME, STRICT_MTLS_NAME } from "../render/names.js";
import type { RenderedObject, RenderedSpec } from "./istio-types.js";
import { NO_CALLER_PRINCIPAL } from "./no-caller.js";
import { byKindThenName, istioObject } from "./rendered-object.js";

export { DEFAULT_DENY_NAME, STRICT_MTLS_NAME };

export function renderNamespaceBaseline(namespace: string): RenderedObject[] {
  const specs: RenderedSpec[] = [
    // An ALLOW policy without selector (every workload of the namespace) whose one rule admits
    // only a principal no caller has: allow nothing, on every data plane (see no-caller.ts).
    { kind: "AuthorizationPolicy", name: DEFAULT_DENY_NAME, spec: { rules: [{ from: [{ source: { principals: [NO_CALLER_PRINCIPAL] } }] }] } },
    { kind: "PeerAuthentication", name: STRICT_MTLS_NAME, spec: { mtls: { mode: "STRICT" } } },
  ];
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [BASELINE_LABEL]: "true" };
  return specs.sort(byKindThenName).map((rendered) => istioObject(rendered, { namespace, labels: { ...labels } }));
}
