// The namespace baseline: allow-nothing plus STRICT mTLS in every namespace that holds a
// NEXUS object, and the workload PeerAuthentications of target identities where they
// change that (they depend on every policy of a target, so they are the namespace's, not
// one policy's). It is written only after the namespace's own policies, so turning zero
// trust on never cuts traffic those policies were about to allow, and removed when the
// namespace holds no NEXUS object any more.
import type { Caches } from "../caches.js";
import { renderNamespaceObjects, type IdentityLookup } from "../policy/index.js";
import { BASELINE_DISABLED, BASELINE_LABEL, WORKLOAD_MTLS_LABEL } from "../render/metadata.js";
import { applyRendered, renderedLive } from "./rendered-writes.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../runtime/controller.js";
import type { EventRecorder } from "../runtime/events.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { resourceOf } from "../runtime/resources.js";
import { PolicyReason } from "./reasons.js";
import { renderedCacheFor, renderedCaches } from "./rendered-caches.js";

export interface BaselineReconcilerDeps {
  client: KubeClient;
  caches: Caches;
  identities: IdentityLookup;
  events: EventRecorder;
  namespaceSettled: (namespace: string) => boolean;
}

export class BaselineReconciler implements Reconciler {
  readonly name = "namespace-baseline";

  constructor(private readonly deps: BaselineReconcilerDeps) {}

  async reconcile(namespace: string, { log }: ReconcileContext): Promise<ReconcileResult | void> {
    const { caches, client, events } = this.deps;
    if (renderedCaches(caches).some((informer) => informer.availability === "absent")) return;
    const ns = caches.namespaces.get(namespace);
    const holdsNexusObjects = caches.identities.list(namespace).length > 0 || caches.policies.list(namespace).length > 0;
    const disabled = ns?.metadata.labels?.[BASELINE_LABEL] === BASELINE_DISABLED;
    const live = this.liveBaseline(namespace);
    const present = !!ns && !ns.metadata.deletionTimestamp;
    const rendered = present && holdsNexusObjects ? this.render(namespace, disabled) : [];
    const baseline = rendered.filter((o) => o.metadata.labels?.[BASELINE_LABEL] === "true");
    const workloadMtls = rendered.filter((o) => o.metadata.labels?.[WORKLOAD_MTLS_LABEL] === "true");
    const wanted = new Set(rendered.map((o) => `${o.kind}/${o.metadata.name}`));
    // The baseline waits for the namespace's policies (the last policy reconcile enqueues
    // us again); the workload PeerAuthentications only ever follow those policies.
    const settled = this.deps.namespaceSettled(namespace);
    const desired = settled ? [...baseline, ...workloadMtls] : workloadMtls;
    const written: string[] = [];
    // Writes first, removals after: an allow-nothing or STRICT object under a name used before
    // (nexus-default-deny, nexus-strict-mtls) stays until its replacement is there.
    for (const object of desired) {
      if (!(await renderedLive(client, caches, object)).needsWrite) continue;
      await applyRendered(client, caches, object);
      written.push(object.metadata.labels?.[WORKLOAD_MTLS_LABEL] ? `workload PeerAuthentication ${object.metadata.name}` : `${object.kind} ${object.metadata.name}`);
    }
    let removedBaseline = false;
    for (const object of live) {
      if (wanted.has(`${object.kind}/${object.metadata.name}`)) continue;
      const isBaseline = object.metadata.labels?.[BASELINE_LABEL] === "true";
      // Still wanted but not written yet (the namespace's policies are not settled): the old one stays.
      if (isBaseline && baseline.length > 0 && !settled) continue;
      await client.delete(resourceOf(object.apiVersion, object.kind), object.metadata.name, namespace, object.metadata.uid);
      if (isBaseline) removedBaseline = baseline.length === 0;
      else log.info({ namespace, object: object.metadata.name }, "removed workload PeerAuthentication no longer needed");
    }
    if (ns && disabled && holdsNexusObjects) {
      // Opting out of zero trust is legitimate but must never be silent.
      if (removedBaseline) log.warn({ namespace }, "namespace opted out of the zero-trust baseline");
      events.record(ns, "Warning", PolicyReason.BaselineDisabled, `namespace is labelled ${BASELINE_LABEL}=${BASELINE_DISABLED}: no default deny and no namespace-wide STRICT mTLS`);
    } else if (ns && removedBaseline) {
      log.info({ namespace }, "removed namespace baseline");
      events.record(ns, "Normal", PolicyReason.BaselineRemoved, "removed the default-deny baseline: the namespace holds no NEXUS object");
    }
    if (written.length > 0 && ns) {
      log.info({ namespace, objects: written }, "applied namespace baseline");
      events.record(ns, "Normal", PolicyReason.BaselineApplied, `applied ${written.join(", ")}`);
    }
  }

  /** The baseline and the workload PeerAuthentications of the namespace's targets; the renderer decides where one is needed. */
  private render(namespace: string, baselineDisabled: boolean): KubeObject[] {
    const { caches, identities } = this.deps;
    return renderNamespaceObjects(namespace, caches.policies.list(namespace), identities, {
      baselineDisabled,
      identityUid: (name) => caches.identities.get(name, namespace)?.metadata.uid,
    }) as KubeObject[];
  }

  private liveBaseline(namespace: string): KubeObject[] {
    return renderedCaches(this.deps.caches).flatMap((informer) =>
      informer.list(namespace).filter((o) => o.metadata.labels?.[BASELINE_LABEL] === "true" || o.metadata.labels?.[WORKLOAD_MTLS_LABEL] === "true"),
    );
  }
}
