// The waypoints the gate accepts Checks from, and what each Check of theirs is about (api.md
// "Data planes" and "Who may ask"). A waypoint's Envoy runs the gate's CUSTOM filter on the
// filter chain of one Service, chosen by the address the request was tunnelled to; the same
// address comes with the Check as attributes.destination.address (the CONNECT target, which
// the waypoint restores as the connection's local address). Headers, Host included, choose
// neither. So the Service at that address is the destination, and the gated policies that
// decide are those the operator bound to that Service on that waypoint: policies whose
// target's Services hold it and whose target that waypoint serves, by the operator's own
// detection (operator/dataplane/detect.ts). A waypoint that does not serve the Service is
// refused like any sender that is not the destination's proxy.
// Pure: fed by the gate's watches (watch.ts), unit-tested without a cluster.
import { dataPlaneLookupOf, WAYPOINT_GATEWAY_CLASS, type DataPlaneFacts, type GatewayFacts } from "../dataplane/detect.js";
import type { TargetDataPlanes } from "../dataplane/data-plane.js";
import { principal } from "../identity/spiffe.js";
import { ByteBoundedCache } from "./byte-bounded-cache.js";
import type { CompiledPolicy } from "./compiled-policy.js";
import type { GateIndex } from "./gate-index.js";
import { ServiceAddresses } from "./service-addresses.js";
import type { WaypointAnswer, WaypointLookup } from "./who-may-ask.js";

/** Answers per (waypoint, address): a few per Service a waypoint fronts. */
const ANSWER_CACHE_BYTES = 4 * 1024 * 1024;
const SPIFFE_PREFIX = "spiffe://";

const NO_ADDRESS: WaypointAnswer = { served: false, problem: "the Check names no destination address (attributes.destination.address), so the Service it is about is unknown" };

export class WaypointDestinations implements WaypointLookup {
  private readonly addresses = new ServiceAddresses();
  /** Istio principal of the pods of each waypoint Gateway -> the Gateways ("namespace/name") running as it. */
  private readonly waypoints = new Map<string, Set<string>>();
  private readonly principalOfGateway = new Map<string, string>();
  private readonly answers = new ByteBoundedCache<WaypointAnswer>(ANSWER_CACHE_BYTES);
  /** The index generation the cached answers were derived from. */
  private answeredFor = -1;

  constructor(
    /** Detection's facts, live (the gate's caches of Namespaces, Services and Gateways). */
    private readonly facts: DataPlaneFacts,
    private readonly index: GateIndex,
  ) {}

  /** A Gateway added, changed or (undefined) deleted: only those of class istio-waypoint are waypoints. */
  gatewayChanged(namespace: string, name: string, gateway: GatewayFacts | undefined): void {
    const key = `${namespace}/${name}`;
    const before = this.principalOfGateway.get(key);
    const after = gateway && gateway.gatewayClassName === WAYPOINT_GATEWAY_CLASS ? principal(this.facts.trustDomain, gateway.namespace, gateway.serviceAccount) : undefined;
    if (before !== undefined && before !== after) {
      const gateways = this.waypoints.get(before);
      gateways?.delete(key);
      if (gateways?.size === 0) this.waypoints.delete(before);
      this.principalOfGateway.delete(key);
    }
    if (after !== undefined) {
      let gateways = this.waypoints.get(after);
      if (!gateways) this.waypoints.set(after, (gateways = new Set()));
      gateways.add(key);
      this.principalOfGateway.set(key, after);
    }
    // Its labels (istio.io/waypoint-for) change what it serves even when it stays a waypoint.
    this.answers.clear();
  }

  /** A Service added, changed or (undefined) deleted: its cluster IPs, and its labels that name a waypoint. */
  serviceChanged(namespace: string, name: string, clusterIPs: readonly string[] | undefined): void {
    this.addresses.set(namespace, name, clusterIPs);
    this.answers.clear();
  }

  /** A Namespace's labels may name another waypoint or data plane for its Services. */
  namespaceChanged(): void {
    this.answers.clear();
  }

  ask(senderSpiffeId: string, destinationAddress: string | undefined): WaypointAnswer | undefined {
    if (!senderSpiffeId.startsWith(SPIFFE_PREFIX)) return undefined;
    const waypoint = senderSpiffeId.slice(SPIFFE_PREFIX.length);
    if (!this.waypoints.has(waypoint)) return undefined;
    if (!destinationAddress) return NO_ADDRESS;
    if (this.answeredFor !== this.index.generation) {
      this.answers.clear();
      this.answeredFor = this.index.generation;
    }
    const key = `${waypoint}\n${destinationAddress}`;
    const known = this.answers.get(key);
    if (known) return known;
    const answer = this.resolve(waypoint, destinationAddress);
    this.answers.set(key, answer, 256 + 2 * key.length + (answer.served ? 16 * answer.target.policies.length : 0));
    return answer;
  }

  private resolve(waypoint: string, address: string): WaypointAnswer {
    const service = this.addresses.at(address);
    if (!service) return { served: false, problem: "no Service (alone) has the Check's destination address as its cluster IP" };
    const name = `${service.namespace}/${service.name}`;
    // Detection once per distinct target of the namespace's gated policies, as the renderer runs it.
    const lookup = dataPlaneLookupOf(this.facts);
    const planes = new Map<string, TargetDataPlanes>();
    const boundHere = (policy: CompiledPolicy): boolean => {
      const selectorKey = policy.selector ? JSON.stringify(policy.selector) : "";
      let found = planes.get(selectorKey);
      if (!found) planes.set(selectorKey, (found = lookup.forTarget(service.namespace, policy.selector)));
      // The renderer binds a policy's waypoint form only to a waypoint that serves every Service of its target.
      return found.forms.includes("ambient") && found.waypoint?.principal === waypoint && found.services.includes(service.name);
    };
    const target = this.index.targetWhere(service.namespace, boundHere);
    if (target.policies.length === 0 && !target.ambiguous) {
      return { served: false, service: name, problem: `no gated policy of Service ${name} is bound to the sending waypoint: it does not serve that Service's targets` };
    }
    return { served: true, service: name, target };
  }
}
