// A cluster of Namespaces, Services and Gateways held in memory, feeding a WaypointDestinations
// as the gate's watches do (watch.ts): detection reads it as its facts, and every change is
// reported the way an informer event is. For unit tests of the gate's waypoint lookup.
import type { DataPlaneFacts, GatewayFacts, ServiceFacts } from "../../dataplane/detect.js";
import type { GateIndex } from "../gate-index.js";
import { WaypointDestinations } from "../waypoint-lookup.js";

export interface WorldService extends ServiceFacts {
  clusterIPs?: string[];
}

export class WaypointWorld implements DataPlaneFacts {
  readonly trustDomain = "cluster.local";
  readonly waypoints: WaypointDestinations;
  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly services = new Map<string, Map<string, WorldService>>();
  private readonly gateways = new Map<string, GatewayFacts>();

  constructor(index: GateIndex) {
    this.waypoints = new WaypointDestinations(this, index);
  }

  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces.get(namespace);
  }

  servicesIn(namespace: string): readonly ServiceFacts[] {
    return [...(this.services.get(namespace)?.values() ?? [])];
  }

  gateway(namespace: string, name: string): GatewayFacts | undefined {
    return this.gateways.get(`${namespace}/${name}`);
  }

  setNamespace(name: string, labels: Record<string, string>): this {
    this.namespaces.set(name, labels);
    this.waypoints.namespaceChanged();
    return this;
  }

  setService(namespace: string, service: WorldService): this {
    let inNamespace = this.services.get(namespace);
    if (!inNamespace) this.services.set(namespace, (inNamespace = new Map()));
    inNamespace.set(service.name, service);
    this.waypoints.serviceChanged(namespace, service.name, service.clusterIPs);
    return this;
  }

  deleteService(namespace: string, name: string): this {
    this.services.get(namespace)?.delete(name);
    this.waypoints.serviceChanged(namespace, name, undefined);
    return this;
  }

  /** A Gateway of class istio-waypoint unless told otherwise, its pods running as its name. */
  setGateway(namespace: string, name: string, extra: Partial<GatewayFacts> = {}): this {
    const gateway: GatewayFacts = { namespace, name, gatewayClassName: "istio-waypoint", serviceAccount: name, labels: {}, ...extra };
    this.gateways.set(`${namespace}/${name}`, gateway);
    this.waypoints.gatewayChanged(namespace, name, gateway);
    return this;
  }

  deleteGateway(namespace: string, name: string): this {
    this.gateways.delete(`${namespace}/${name}`);
    this.waypoints.gatewayChanged(namespace, name, undefined);
    return this;
  }
}
