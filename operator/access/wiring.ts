// Routes cache events to the AccessPolicy and namespace-baseline controllers. An identity
// change re-renders exactly the policies that depend on it, found through the indexes.
import type { Logger } from "pino";
import type { Caches } from "../caches.js";
import { tenantLabelOf, type RenderConfig } from "../config.js";
import { tenantOfNamespace } from "../policy/tenancy.js";
import { canonicalJson } from "../render/hash.js";
import { policyNameOfObjectName } from "../render/names.js";
import { BASELINE_LABEL, WORKLOAD_MTLS_LABEL } from "../render/metadata.js";
import { Controller } from "../runtime/controller.js";
import { objectKey } from "../runtime/object-key.js";
import type { EventRecorder } from "../runtime/events.js";
import type { InformerEvent } from "../runtime/informer.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import type { EventOrigin } from "../runtime/own-writes.js";
import { BaselineReconciler } from "./baseline-reconciler.js";
import type { CachedGateway, CachedService } from "./data-plane-cache.js";
import { dataPlaneLookupFrom } from "./data-plane-facts.js";
import { DataPlaneRouting } from "./data-plane-routing.js";
import { factsOf, IdentityIndex, PolicyDependents } from "./identity-index.js";
import { PolicyReconciler } from "./policy-reconciler.js";
import { renderedCaches, unmanagedRenderedCaches } from "./rendered-caches.js";

/**
 * While a namespace's policies are still being rendered, its baseline runs at most this
 * often: each policy reconcile asks for it, and rendering the namespace once per policy
 * (fifty times for fifty policies) was a visible share of a first sync. The baseline waits
 * for those policies anyway; once they are settled it runs at once.
 */
const UNSETTLED_BASELINE_DELAY_MS = 250;

export interface AccessWiringDeps {
  client: KubeClient;
  caches: Caches;
  events: EventRecorder;
  config: RenderConfig;
  metrics: OperatorMetrics;
  log: Logger;
  concurrency: number;
}

export class AccessWiring {
  readonly identities = new IdentityIndex();
  readonly dependents = new PolicyDependents();
  readonly policyController: Controller;
  readonly baselineController: Controller;
  private everythingDueSoon: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly deps: AccessWiringDeps) {
    const { client, caches, events, config, metrics, log, concurrency } = deps;
    const policyReconciler = new PolicyReconciler({
      client,
      caches,
      identities: this.identities,
      events,
      config,
      metrics,
      dataPlanes: dataPlaneLookupFrom(caches, config.trustDomain),
      afterRender: (namespace) => {
        if (policyReconciler.namespaceSettled(namespace)) this.baselineController.enqueue(namespace);
        else this.baselineController.queue.addAfter(namespace, UNSETTLED_BASELINE_DELAY_MS);
      },
    });
    this.policyController = new Controller(policyReconciler, { concurrency, metrics, log });
    this.baselineController = new Controller(
      new BaselineReconciler({ client, caches, identities: this.identities, events, namespaceSettled: (ns) => policyReconciler.namespaceSettled(ns) }),
      { concurrency: Math.max(1, Math.floor(concurrency / 2)), metrics, log },
    );
    this.route();
  }

  start(): void {
    this.policyController.start();
    this.baselineController.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.everythingDueSoon) clearImmediate(this.everythingDueSoon);
    this.everythingDueSoon = undefined;
    await Promise.all([this.policyController.stop(), this.baselineController.stop()]);
  }

  /** Keys queued and not yet taken by the policy and baseline controllers. */
  keysWaiting(): number {
    return this.policyController.queue.depth + this.baselineController.queue.depth;
  }

  async idle(): Promise<void> {
    await Promise.all([this.policyController.queue.idle(), this.baselineController.queue.idle()]);
  }

  private route(): void {
    const { caches } = this.deps;
    const enqueuePolicy = (key: string) => this.policyController.enqueue(key);
    caches.identities.on((identity, event) => {
      const key = objectKey(identity.metadata.namespace, identity.metadata.name);
      const previous = this.identities.update(key, event === "delete" ? undefined : factsOf(identity));
      const next = this.identities.get(identity.metadata.namespace, identity.metadata.name);
      // Status updates of an identity do not change what any policy renders.
      const changed = canonicalJson(previous) !== canonicalJson(next);
      // The baseline follows identities coming and going, and a target's workload selector.
      if (event !== "update" || changed) this.baselineController.enqueue(identity.metadata.namespace);
      if (!changed) return;
      this.dependents.affectedBy(key, previous, next).forEach(enqueuePolicy);
    });
    caches.policies.on((policy, event) => {
      const key = objectKey(policy.metadata.namespace, policy.metadata.name);
      const renderingMayChange = this.dependents.update(key, event === "delete" ? undefined : policy);
      // The operator's own status writes come back as updates of an unchanged generation:
      // rendering again would only find nothing to do (GenerationChangedPredicate).
      if (event !== "update" || renderingMayChange) enqueuePolicy(key);
    });
    const routeRendered = (object: KubeObject, _event: InformerEvent, origin: EventOrigin) =>
      // The echo of our own write: the reconcile that wrote it is done with it.
      origin.unlessOwnWrite(() => {
        if (object.metadata.labels?.[BASELINE_LABEL] === "true" || object.metadata.labels?.[WORKLOAD_MTLS_LABEL] === "true") {
          this.baselineController.enqueue(object.metadata.namespace ?? "");
          return;
        }
        for (const ref of object.metadata.ownerReferences ?? []) {
          if (ref.kind === "AccessPolicy" && ref.controller) enqueuePolicy(objectKey(object.metadata.namespace, ref.name));
        }
      });
    // Once per turn of the event loop however many causes arrive together: a first list of
    // two hundred namespaces, or every rendered cache relisting after a watch gap, made each
    // of them walk every policy.
    const everythingDue = () => {
      if (this.everythingDueSoon || this.stopped) return;
      this.everythingDueSoon = setImmediate(() => {
        this.everythingDueSoon = undefined;
        for (const policy of caches.policies.list()) enqueuePolicy(objectKey(policy.metadata.namespace, policy.metadata.name));
        for (const ns of caches.namespaces.list()) this.baselineController.enqueue(ns.metadata.name);
      });
    };
    // An object without our label under a name a policy renders holds that policy back
    // (NameTaken) until it goes: its coming and going is the policy's to look at again.
    for (const informer of unmanagedRenderedCaches(caches)) {
      informer.on((object) => {
        const policyName = policyNameOfObjectName(object.metadata.name);
        if (policyName !== undefined) enqueuePolicy(objectKey(object.metadata.namespace, policyName));
      });
      informer.onRelist(everythingDue);
    }
    for (const informer of renderedCaches(caches)) {
      informer.on(routeRendered);
      // When Istio's CRDs appear (or vanish), every policy and baseline is due again; so too
      // after a watch gap, in which an object we wrote may have been deleted unseen.
      informer.onAvailability(everythingDue);
      informer.onRelist(everythingDue);
    }
    caches.namespaces.on((ns, event) => {
      this.baselineController.enqueue(ns.metadata.name);
      const tenant = event === "delete" ? undefined : tenantOfNamespace(ns.metadata.labels, tenantLabelOf(this.deps.config));
      if (this.identities.namespaceTenant(ns.metadata.name) === tenant) return;
      this.identities.setNamespaceTenant(ns.metadata.name, tenant);
      // An administrator gave the namespace to another tenant (or took it away): rare, and
      // tenant, namespace and principal sources anywhere may resolve differently, so every
      // policy is rendered again (those with nothing to change write nothing).
      everythingDue();
    });
    this.routeDataPlanes(enqueuePolicy);
  }

  /** A target's data plane follows its namespace's labels, its Services and its waypoint: its policies render again when they change. */
  private routeDataPlanes(enqueuePolicy: (key: string) => void): void {
    const { caches } = this.deps;
    const routing = new DataPlaneRouting({
      namespaceLabels: (namespace) => caches.namespaces.get(namespace)?.metadata.labels,
      namespaces: () => caches.namespaces.list().map((ns) => ns.metadata.name),
      servicesIn: (namespace) => caches.services.list(namespace) as CachedService[],
      enqueueNamespace: (namespace) => {
        for (const policy of caches.policies.list(namespace)) enqueuePolicy(objectKey(policy.metadata.namespace, policy.metadata.name));
      },
    });
    caches.namespaces.on((ns, event) => routing.namespaceChanged(ns, event));
    caches.services.on((service, event) => routing.serviceChanged(service as CachedService, event));
    caches.gateways.on((gateway, event) => routing.gatewayChanged(gateway as CachedGateway, event));
    caches.gateways.onAvailability(() => routing.gatewaysAvailabilityChanged());
  }
}
