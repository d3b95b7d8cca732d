// What the operator would report in an AccessPolicy's Resolved condition, and what its data
// plane keeps from being enforced as written (WaypointRequired, DenyWidened, ...), told on
// stderr so a reviewer sees a left-out source or an unresolved target before it is applied.
import type { AccessPolicyStatus, EngineIdentity } from "../api/types.js";
import { PolicyReason } from "../access/reasons.js";
import { tenantLabelOf, type RenderConfig } from "../config.js";
import { certificateRefusal } from "../identity/certificate-limits.js";
import { tenantOfNamespace, verifyTenant } from "../policy/tenancy.js";
import { DataPlaneReason } from "../policy/reasons.js";
import type { PolicyRenderResult } from "../policy/index.js";
import type { Manifests } from "./manifests.js";
import type { RenderedPolicy } from "./render-set.js";

/** Where a policy's data plane enforces it otherwise than written: the reason the operator's status gives, and its words. */
export interface DataPlaneNote {
  reason: string;
  message: string;
}

export function renderWarnings(policies: readonly RenderedPolicy[]): string[] {
  const lines: string[] = [];
  for (const { policy, result } of policies) {
    const name = `AccessPolicy ${policy.metadata.namespace}/${policy.metadata.name}`;
    if (!result.target.resolved) lines.push(`${name}: ${result.target.message ?? result.target.reason ?? "the target does not resolve"}`);
    for (const source of result.unresolved) lines.push(`${name}: source left out (${source.reason}): ${source.message}`);
    for (const note of dataPlaneNotesOf(result)) lines.push(`${name}: ${note.reason}: ${note.message}`);
  }
  return lines;
}

/** What the operator would report of the policy's data plane, from its rendering (render-ambient.ts). */
export function dataPlaneNotesOf(result: PolicyRenderResult): DataPlaneNote[] {
  const notes: DataPlaneNote[] = [];
  if (result.refused?.reason === DataPlaneReason.WaypointRequired) notes.push({ reason: result.refused.reason, message: result.refused.message });
  if (result.ambient?.denyWidened) notes.push({ reason: result.ambient.denyWidened.reason, message: result.ambient.denyWidened.message });
  if (result.ambient?.auditNotRendered) notes.push({ reason: PolicyReason.AuditNotRendered, message: result.ambient.auditNotRendered.message });
  return notes;
}

/** What the operator reported of the policy's data plane, from its status (Rendered=False WaypointRequired, EnforcedAsWritten=False). */
export function dataPlaneNotesOfStatus(status: AccessPolicyStatus | undefined): DataPlaneNote[] {
  return (status?.conditions ?? []).flatMap((c) =>
    c.status === "False" && ((c.type === "Rendered" && c.reason === DataPlaneReason.WaypointRequired) || c.type === PolicyReason.EnforcedAsWritten) ? [{ reason: c.reason, message: c.message }] : [],
  );
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
