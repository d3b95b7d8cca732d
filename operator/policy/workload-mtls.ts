// Workload mTLS: one PeerAuthentication per target EngineIdentity, rendered only where it
// changes what the namespace baseline says. The mode is a function of every AccessPolicy
// that targets the identity, never of which one was created first: Istio applies the
// oldest of several workload PeerAuthentications, so one per policy made the result
// depend on creation order.
import type { AccessPolicy } from "../api/types.js";
import { controllerReference, IDENTITY_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, WORKLOAD_MTLS_LABEL } from "../render/metadata.js";
import { workloadMtlsName } from "../render/names.js";
import type { IdentityLookup } from "./identity-lookup.js";
import type { RenderedObject, RenderedPeerAuthentication, WorkloadSelectorSpec } from "./istio-types.js";
import { renderNamespaceBaseline } from "./namespace-baseline.js";
import { istioObject } from "./rendered-object.js";
import { compareStrings } from "./sorted.js";
import { resolveTarget } from "./target.js";

export interface WorkloadMtlsOptions {
  /** The namespace is labelled out of the zero-trust baseline, so nothing there is STRICT unless said here. */
  baselineDisabled: boolean;
  /** uid of an EngineIdentity, so its PeerAuthentication goes with it; unknown offline (CLI). */
  identityUid?: (name: string) => string | undefined;
}

export { workloadMtlsName };

/** The workload PeerAuthentications of one namespace, from all of its AccessPolicies, sorted by name. */
export function renderWorkloadMtls(
  namespace: string,
  policies: readonly AccessPolicy[],
  identities: IdentityLookup,
  options: WorkloadMtlsOptions,
): RenderedPeerAuthentication[] {
  const targets = new Map<string, { selector: WorkloadSelectorSpec; permissive: boolean }>();
  for (const policy of policies) {
    if (policy.metadata.namespace !== namespace || policy.spec.targetIdentity === undefined) continue;
    const target = resolveTarget(policy, identities);
    if (!target.resolved || !target.selector) continue;
    const name = policy.spec.targetIdentity;
    const permissive = policy.spec.mtls === "Permissive";
    const seen = targets.get(name);
    // PERMISSIVE only when every policy of the target asks for it: one Strict wins.
    targets.set(name, { selector: target.selector, permissive: (seen?.permissive ?? true) && permissive });
  }
  return [...targets.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .flatMap(([identityName, { selector, permissive }]) => {
      if (!permissive && !options.baselineDisabled) return [];
      const uid = options.identityUid?.(identityName);
      const object = istioObject(
        { kind: "PeerAuthentication", name: workloadMtlsName(identityName), spec: { selector, mtls: { mode: permissive ? "PERMISSIVE" : "STRICT" } } },
        {
          namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [IDENTITY_LABEL]: identityName, [WORKLOAD_MTLS_LABEL]: "true" },
          ...(uid
            ? { ownerReferences: [controllerReference({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: identityName, uid } })] }
            : {}),
        },
      );
      return [object as RenderedPeerAuthentication];
    });
}

/**
 * Everything the namespace-baseline reconciler writes for a namespace that holds NEXUS
 * objects: the allow-nothing and STRICT baseline (unless the namespace opted out) and the
 * workload PeerAuthentications of its targets. The operator, the CLI and the benchmark all
 * render a namespace through this one function.
 */
export function renderNamespaceObjects(
  namespace: string,
  policies: readonly AccessPolicy[],
  identities: IdentityLookup,
  options: WorkloadMtlsOptions,
): RenderedObject[] {
  return [...(options.baselineDisabled ? [] : renderNamespaceBaseline(namespace)), ...renderWorkloadMtls(namespace, policies, identities, options)];
}
