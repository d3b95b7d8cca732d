// Keeps the gate's index current from the operator's informers on AccessPolicies,
// EngineIdentities and Namespaces (whose tenant label decides tenant membership), and its
// waypoints (waypoint-lookup.ts) from Services and Gateways, slimmed as the operator's are,
// plus the Services' cluster IPs: read-only (list and watch), and nothing else; the gate never
// reads Secrets. A policy event updates its entry at once; identity and namespace events are
// gathered for a moment and then the policies they may affect are resolved again.
import type { Logger } from "pino";
import { dataPlaneFactsFrom, gatewayFactsOf } from "../access/data-plane-facts.js";
import { slimGatewayForCache, slimServiceWithAddressesForCache, type CachedGateway, type CachedService } from "../access/data-plane-cache.js";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { SupervisedInformer } from "../runtime/informer.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { resources } from "../runtime/resources.js";
import { DEFAULT_TENANT_LABEL, tenantOfNamespace } from "../policy/tenancy.js";
import { compactDeclaredKeysForCache } from "./declared-keys.js";
import type { GateIndex } from "./gate-index.js";
import { WaypointDestinations } from "./waypoint-lookup.js";

export class GateWatch {
  readonly policies: SupervisedInformer<AccessPolicy & KubeObject>;
  readonly identities: SupervisedInformer<EngineIdentity & KubeObject>;
  readonly namespaces: SupervisedInformer<KubeObject>;
  readonly services: SupervisedInformer<KubeObject>;
  /** Absent without the Gateway API CRDs: then no waypoint exists and none is accepted. */
  readonly gateways: SupervisedInformer<KubeObject>;
  readonly waypoints: WaypointDestinations;
  private resolvePending: NodeJS.Immediate | undefined;
  private synced = false;

  constructor(
    client: KubeClient,
    private readonly log: Logger,
    private readonly index: GateIndex,
    trustDomain: string,
    tenantLabel = DEFAULT_TENANT_LABEL,
  ) {
    this.policies = new SupervisedInformer(client, resources.accessPolicy, log, { transform: compactDeclaredKeysForCache });
    this.identities = new SupervisedInformer(client, resources.engineIdentity, log);
    this.namespaces = new SupervisedInformer(client, resources.namespace, log);
    this.services = new SupervisedInformer(client, resources.service, log, { transform: slimServiceWithAddressesForCache });
    this.gateways = new SupervisedInformer(client, resources.gateway, log, { transform: slimGatewayForCache });
    this.waypoints = new WaypointDestinations(dataPlaneFactsFrom(this, trustDomain), index);
    this.namespaces.on((namespace, event) => {
      const tenant = event === "delete" ? undefined : tenantOfNamespace(namespace.metadata.labels, tenantLabel);
      if (index.setNamespaceTenant(namespace.metadata.name, tenant)) this.scheduleResolve();
      this.waypoints.namespaceChanged();
    });
    this.services.on((object, event) => {
      const service = object as CachedService;
      this.waypoints.serviceChanged(service.metadata.namespace ?? "", service.metadata.name, event === "delete" ? undefined : service.spec?.clusterIPs);
    });
    this.gateways.on((object, event) => {
      const gateway = object as CachedGateway;
      this.waypoints.gatewayChanged(gateway.metadata.namespace ?? "", gateway.metadata.name, event === "delete" ? undefined : gatewayFactsOf(gateway));
    });
    this.policies.on((policy, event) => index.setPolicy(policy, event === "delete"));
    this.identities.on((identity, event) => {
      index.setIdentity(identity, event === "delete");
      this.scheduleResolve();
    });
  }

  private get informers(): SupervisedInformer<KubeObject>[] {
    return [this.namespaces, this.identities, this.policies, this.services, this.gateways] as SupervisedInformer<KubeObject>[];
  }

  async start(): Promise<void> {
    for (const informer of this.informers) informer.start();
    // waitForSync returns at once for a kind the apiserver does not serve (Gateways without their CRDs).
    await Promise.all(this.informers.map((informer) => informer.waitForSync()));
    this.index.recompileAll();
    this.synced = true;
  }

  /** Every cache filled (Gateways: or their kind absent) and the index built from them. */
  get ready(): boolean {
    return this.synced && this.policies.synced && this.identities.synced && this.namespaces.synced && this.services.synced && (this.gateways.synced || this.gateways.availability === "absent");
  }

  async stop(): Promise<void> {
    // A resolve still waiting would log after the gate stopped.
    if (this.resolvePending) clearImmediate(this.resolvePending);
    this.resolvePending = undefined;
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }

  private scheduleResolve(): void {
    if (this.resolvePending) return;
    this.resolvePending = setImmediate(() => {
      this.resolvePending = undefined;
      const started = performance.now();
      const policies = this.index.recompilePending();
      this.log.debug({ policies, ms: Math.round((performance.now() - started) * 1000) / 1000 }, "recompiled the policies identity changes affect");
    });
  }
}
