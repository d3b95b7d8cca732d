// Wires caches, controllers and event routing together: the operator process in one object,
// so the binary, the demo and the tests all run exactly the same thing.
import type { ClusterAccess } from "./runtime/cluster-access.js";
import type { Logger } from "pino";
import { allInformers, createCaches, type Caches } from "./caches.js";
import type { RenderConfig } from "./config.js";
import { IdentityReconciler } from "./identity/reconciler.js";
import { serviceAccountOf } from "./identity/identity-facts.js";
import { identityNameOfCertificateName } from "./identity/render-certificate.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "./render/metadata.js";
import { Controller } from "./runtime/controller.js";
import { objectKey } from "./runtime/object-key.js";
import { EventRecorder, type EventRateLimit } from "./runtime/events.js";
import { KubeClient, type KubeObject } from "./runtime/kube-client.js";
import { OperatorMetrics } from "./runtime/metrics.js";
import { OwnWrites } from "./runtime/own-writes.js";
import { AccessWiring } from "./access/wiring.js";

export interface OperatorOptions {
  kubeConfig: ClusterAccess;
  render: RenderConfig;
  log: Logger;
  concurrency?: number;
  metrics?: OperatorMetrics;
  /** How fast Events may be sent (default DEFAULT_EVENT_RATE_LIMIT). */
  eventRateLimit?: EventRateLimit;
  /** Counts every request the operator sends, for tests and benchmarks. */
  onRequest?: (verb: string) => void;
}

export class Operator {
  readonly client: KubeClient;
  readonly caches: Caches;
  readonly metrics: OperatorMetrics;
  readonly identityController: Controller;
  readonly access: AccessWiring;
  readonly events: EventRecorder;
  private cachesSynced = false;
  private controllersRunning = false;

  constructor(private readonly options: OperatorOptions) {
    const { kubeConfig, log } = options;
    this.metrics = options.metrics ?? new OperatorMetrics();
    const ownWrites = new OwnWrites();
    this.client = new KubeClient(kubeConfig, { onRequest: options.onRequest, maxSockets: (options.concurrency ?? 8) * 2, writes: ownWrites });
    this.caches = createCaches(this.client, log, ownWrites);
    const events = new EventRecorder(this.client, log, {
      ...(options.eventRateLimit ? { rateLimit: options.eventRateLimit } : {}),
      onDropped: () => this.metrics.eventsDropped.inc(),
      // Reconciles waiting go before the Events that report on reconciles done.
      yieldWhile: () => this.keysWaiting() > 0,
    });
    this.events = events;
    this.metrics.countPendingEventsWith(() => events.pending);
    const concurrency = options.concurrency ?? 8;
    this.identityController = new Controller(
      new IdentityReconciler({ client: this.client, caches: this.caches, events, config: options.render, metrics: this.metrics }),
      { concurrency, metrics: this.metrics, log },
    );
    this.access = new AccessWiring({ client: this.client, caches: this.caches, events, config: options.render, metrics: this.metrics, log, concurrency });
    this.routeIdentityEvents();
    this.metrics.countRenderedWith(() => ({
      Certificate: this.caches.certificates.list().length,
      ServiceAccount: this.caches.serviceAccounts.list().filter((sa) => sa.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE).length,
      AuthorizationPolicy: this.caches.authorizationPolicies.list().length,
      PeerAuthentication: this.caches.peerAuthentications.list().length,
      RequestAuthentication: this.caches.requestAuthentications.list().length,
    }));
  }

  /** Starts the caches and the controllers: the whole operator, without leader election. */
  async start(): Promise<void> {
    await this.startCaches();
    this.startControllers();
  }

  /** Fills the caches and keeps them current; followers do this too, to take over warm. */
  async startCaches(): Promise<void> {
    for (const informer of allInformers(this.caches)) informer.start();
    await Promise.all(allInformers(this.caches).map((i) => i.waitForSync()));
    this.cachesSynced = true;
  }

  /** Starts reconciling: only the leader does, since only it may write. */
  startControllers(): void {
    if (this.controllersRunning) return;
    this.identityController.start();
    this.access.start();
    this.controllersRunning = true;
    this.options.log.info("controllers started");
  }

  /** Ready once every cache that is served has synced, leader or not. */
  ready(): boolean {
    return this.cachesSynced && allInformers(this.caches).every((i) => i.synced || i.availability === "absent");
  }

  /**
   * Stops everything start() started, in order: no new events from the caches, then the
   * reconciles in flight, then the Events they recorded, then the connections. Once this
   * resolves nothing of the operator runs, writes or logs.
   */
  async stop(): Promise<void> {
    await Promise.all(allInformers(this.caches).map((i) => i.stop()));
    await Promise.all([this.identityController.stop(), this.access.stop()]);
    await this.events.stop(2_000);
    this.client.close();
  }

  /** Keys queued and not yet taken, in every controller. */
  keysWaiting(): number {
    return this.identityController.queue.depth + this.access.keysWaiting();
  }

  /** Resolves when no controller has queued or running work. */
  async idle(): Promise<void> {
    await Promise.all([this.identityController.queue.idle(), this.access.idle()]);
  }

  private routeIdentityEvents(): void {
    const { caches } = this;
    const enqueue = (namespace: string | undefined, name: string) => this.identityController.enqueue(objectKey(namespace, name));
    const enqueueAll = (filter: (identity: KubeObject & { spec: { certificate?: unknown } }) => boolean) => {
      for (const identity of caches.identities.list()) {
        if (filter(identity)) enqueue(identity.metadata.namespace, identity.metadata.name);
      }
    };
    // The echo of a write of ours (an identity's status, its ServiceAccount or Certificate)
    // is what the reconcile that wrote it left: nothing to do again.
    caches.identities.on((identity, _event, origin) => origin.unlessOwnWrite(() => enqueue(identity.metadata.namespace, identity.metadata.name)));
    caches.certificates.on((certificate, _event, origin) =>
      origin.unlessOwnWrite(() => {
        for (const ref of certificate.metadata.ownerReferences ?? []) {
          if (ref.kind === "EngineIdentity" && ref.controller) enqueue(certificate.metadata.namespace, ref.name);
        }
      }),
    );
    // A Certificate without our label under an identity's Certificate name holds that
    // identity's certificate back (CertificateNameTaken) until it goes.
    caches.unmanagedCertificates.on((certificate) => {
      const identityName = identityNameOfCertificateName(certificate.metadata.name);
      if (identityName !== undefined) enqueue(certificate.metadata.namespace, identityName);
    });
    caches.unmanagedCertificates.onRelist(() => enqueueAll((identity) => identity.spec.certificate !== undefined));
    caches.certificates.onAvailability(() => enqueueAll((identity) => identity.spec.certificate !== undefined));
    // After a watch gap a Certificate or ServiceAccount we wrote may have been deleted unseen.
    caches.certificates.onRelist(() => enqueueAll((identity) => identity.spec.certificate !== undefined));
    caches.serviceAccounts.onRelist(() => enqueueAll(() => true));
    caches.serviceAccounts.on((sa, _event, origin) =>
      origin.unlessOwnWrite(() => {
        for (const identity of caches.identities.list(sa.metadata.namespace)) {
          const owned = (sa.metadata.ownerReferences ?? []).some((ref) => ref.uid === identity.metadata.uid);
          if (owned || serviceAccountOf(identity) === sa.metadata.name) enqueue(identity.metadata.namespace, identity.metadata.name);
        }
      }),
    );
    const byIssuer = (kind: string, issuer: KubeObject) =>
      enqueueAll((identity) => {
        const ref = (identity.spec.certificate as { issuerRef?: { name: string; kind?: string } } | undefined)?.issuerRef;
        const name = ref?.name ?? this.options.render.defaultIssuer.name;
        const refKind = ref ? (ref.kind ?? "Issuer") : this.options.render.defaultIssuer.kind;
        const sameNamespace = kind === "ClusterIssuer" || identity.metadata.namespace === issuer.metadata.namespace;
        return identity.spec.certificate !== undefined && refKind === kind && name === issuer.metadata.name && sameNamespace;
      });
    // TenantVerified follows the administrators' tenant label on the namespace.
    caches.namespaces.on((ns) => {
      for (const identity of caches.identities.list(ns.metadata.name)) enqueue(identity.metadata.namespace, identity.metadata.name);
    });
    caches.issuers.on((issuer) => byIssuer("Issuer", issuer));
    caches.clusterIssuers.on((issuer) => byIssuer("ClusterIssuer", issuer));
  }
}
