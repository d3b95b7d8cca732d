// What the operator would report in an AccessPolicy's Resolved condition, told on stderr
// so a reviewer sees a left-out source or an unresolved target before it is applied.
import type { EngineIdentity } from "../api/types.js";
import { tenantLabelOf, type RenderConfig } from "../config.js";
import { certificateRefusal } from "../identity/certificate-limits.js";
import { tenantOfNamespace, verifyTenant } from "../policy/tenancy.js";
import type { Manifests } from "./manifests.js";
import type { RenderedPolicy } from "./render-set.js";

export function renderWarnings(policies: readonly RenderedPolicy[]): string[] {
  const lines: string[] = [];
  for (const { policy, result } of policies) {
    const name = `AccessPolicy ${policy.metadata.namespace}/${policy.metadata.name}`;
    if (!result.target.resolved) lines.push(`${name}: ${result.target.message ?? result.target.reason ?? "the target does not resolve"}`);
    for (const source of result.unresolved) lines.push(`${name}: source left out (${source.reason}): ${source.message}`);
  }
  return lines;
}

/**
 * Offline, a namespace's tenant is known only from a Namespace object among the files. An
 * identity whose namespace is not given is a member of no tenant, which a reviewer must know
 * when tenants matter (an identity claims one, or a policy names one); claims the given
 * namespaces do not back, and certificate requests the operator would refuse, are told too.
 */
export function tenancyWarnings(manifests: Pick<Manifests, "identities" | "policies" | "namespaces">, config: RenderConfig): string[] {
  const label = tenantLabelOf(config);
  const tenantsNamed = manifests.policies.some((p) => (p.spec.rules ?? []).some((r) => (r.from ?? []).some((s) => s.tenant !== undefined)));
  const lines: string[] = [];
  const missing = new Map<string, EngineIdentity[]>();
  for (const identity of manifests.identities) {
    const namespace = identity.metadata.namespace;
    const name = `EngineIdentity ${namespace}/${identity.metadata.name}`;
    const refusal = certificateRefusal(identity, config);
    if (refusal) lines.push(`${name}: no Certificate (${refusal.reason}): ${refusal.message}`);
    if (!manifests.namespaces.has(namespace)) {
      if (tenantsNamed || identity.spec.tenant) missing.set(namespace, [...(missing.get(namespace) ?? []), identity]);
      continue;
    }
    const verification = verifyTenant(identity.spec.tenant, namespace, tenantOfNamespace(manifests.namespaces.get(namespace), label), label);
    if (verification.status === "False") lines.push(`${name}: ${verification.reason}: ${verification.message}`);
  }
  for (const [namespace, identities] of missing) {
    lines.push(
      `namespace ${namespace}: no Namespace object among the inputs, so its ${identities.length} EngineIdentit${identities.length === 1 ? "y is" : "ies are"} a member of no tenant here; ` +
        `add the Namespace with its ${label} label to the files (apiVersion: v1, kind: Namespace) to render as the cluster would`,
    );
  }
  return lines;
}
