// The namespace baseline: allow-nothing plus STRICT mTLS in every namespace that holds a
// NEXUS object. It is written only after the namespace's own policies, so turning zero
// trust on never cuts traffic those policies were about to allow, and removed when the
// namespace holds no NEXUS object any more.
import type { Caches } from "../caches.js";
import { renderNamespaceBaseline } from "../policy/index.js";
import { BASELINE_DISABLED, BASELINE_LABEL } from "../render/metadata.js";
import { needsApply, withAppliedHash } from "../runtime/apply-if-changed.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../runtime/controller.js";
import type { EventRecorder } from "../runtime/events.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { resourceOf } from "../runtime/resources.js";
import { PolicyReason } from "./reasons.js";
import { renderedCacheFor, renderedCaches } from "./rendered-caches.js";

export interface BaselineReconcilerDeps {
  client: KubeClient;
  caches: Caches;
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
    if (!ns || ns.metadata.deletionTimestamp || !holdsNexusObjects || disabled) {
      for (const object of live) {
        await client.delete(resourceOf(object.apiVersion, object.kind), object.metadata.name, namespace, object.metadata.uid);
      }
      if (ns && disabled && holdsNexusObjects) {
        // Opting out of zero trust is legitimate but must never be silent.
        if (live.length > 0) log.warn({ namespace }, "namespace opted out of the zero-trust baseline");
        events.record(ns, "Warning", PolicyReason.BaselineDisabled, `namespace is labelled ${BASELINE_LABEL}=${BASELINE_DISABLED}: no default deny and no namespace-wide STRICT mTLS`);
      } else if (ns && live.length > 0) {
        log.info({ namespace }, "removed namespace baseline");
        events.record(ns, "Normal", PolicyReason.BaselineRemoved, "removed the default-deny baseline: the namespace holds no NEXUS object");
      }
      return;
    }
    if (!this.deps.namespaceSettled(namespace)) return; // the last policy reconcile enqueues us again
    let wrote = false;
    for (const object of renderNamespaceBaseline(namespace) as KubeObject[]) {
      const desired = withAppliedHash(object);
      const current = renderedCacheFor(caches, desired.kind).get(desired.metadata.name, namespace);
      if (!needsApply(desired, current)) continue;
      await client.apply(desired);
      wrote = true;
    }
    if (wrote) {
      log.info({ namespace }, "applied namespace baseline");
      events.record(ns, "Normal", PolicyReason.BaselineApplied, "applied default-deny AuthorizationPolicy and STRICT PeerAuthentication");
    }
  }

  private liveBaseline(namespace: string): KubeObject[] {
    return renderedCaches(this.deps.caches).flatMap((informer) =>
      informer.list(namespace).filter((o) => o.metadata.labels?.[BASELINE_LABEL] === "true"),
    );
  }
}
