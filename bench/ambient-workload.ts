// The ambient part of the benchmark's workload (api.md "Data planes"): every n-th namespace
// runs ambient, as a platform team sets it up before any NEXUS object exists: the namespace
// labelled istio.io/dataplane-mode=ambient and istio.io/use-waypoint=<its waypoint>, the
// waypoint Gateway of class istio-waypoint, and one Service per identity selecting exactly
// that identity's pods, so every target has a waypoint serving all of its Services.
// Detection over these objects is the operator's own (operator/dataplane/detect.ts), so the
// floor renders what the operator renders.
import { defaultRenderConfig } from "../operator/config.js";
import { sidecarEverywhere, type DataPlaneLookup } from "../operator/dataplane/data-plane.js";
import {
  DATAPLANE_MODE_LABEL,
  dataPlaneLookupOf,
  gatewayFactsOf,
  serviceFactsOf,
  USE_WAYPOINT_LABEL,
  type GatewayFacts,
  type GatewayObject,
  type ServiceFacts,
  type ServiceObject,
} from "../operator/dataplane/detect.js";
import type { EngineIdentity } from "../operator/api/types.js";
import type { KubeObject } from "../operator/runtime/kube-client.js";
import { waypointGateway } from "../test/support/waypoint.js";

/** The waypoint Gateway's name in every ambient namespace. */
export const BENCH_WAYPOINT = "waypoint";

export interface AmbientWorkload {
  /** The ambient namespaces and the labels that make them so (besides the tenant label every namespace has). */
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** One waypoint Gateway per ambient namespace. */
  gateways: KubeObject[];
  /** One Service per identity of an ambient namespace, selecting its pods. */
  services: KubeObject[];
}

/** Namespace n is ambient when n % every === 0 (every = 2: half of them, tenants mixed). */
export function ambientWorkload(namespaces: readonly string[], identities: readonly EngineIdentity[], every: number): AmbientWorkload {
  if (!Number.isInteger(every) || every < 1) throw new Error(`ambientEvery must be a positive integer; got ${every}`);
  const ambient = namespaces.filter((_, n) => n % every === 0);
  const namespaceLabels = new Map(ambient.map((namespace) => [namespace, { [DATAPLANE_MODE_LABEL]: "ambient", [USE_WAYPOINT_LABEL]: BENCH_WAYPOINT }]));
  const gateways = ambient.map((namespace) => waypointGateway(namespace, BENCH_WAYPOINT));
  const services: KubeObject[] = identities
    .filter((identity) => namespaceLabels.has(identity.metadata.namespace))
    .map((identity) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: identity.metadata.name, namespace: identity.metadata.namespace, labels: { "bench.nexus.io/workload": "scale" } },
      // Headless: the bench control plane allocates cluster IPs from a /24, far fewer than
      // the Services here; detection reads only the selector.
      spec: { clusterIP: "None", selector: { ...identity.spec.workloadSelector?.matchLabels }, ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
    }));
  return { namespaceLabels, gateways, services };
}

const lookups = new WeakMap<AmbientWorkload, DataPlaneLookup>();

/**
 * Which data plane runs each target of the workload, by the operator's detection over the
 * workload's namespace labels, Services and Gateways (sidecar everywhere without ambient).
 * The trust domain is the default one the benchmark's operator and floor render with.
 */
export function dataPlanesOf(workload: { namespaceTenants: ReadonlyMap<string, string>; ambient?: AmbientWorkload }): DataPlaneLookup {
  const ambient = workload.ambient;
  if (!ambient) return sidecarEverywhere;
  let lookup = lookups.get(ambient);
  if (lookup) return lookup;
  const services = new Map<string, ServiceFacts[]>();
  for (const service of ambient.services) {
    const namespace = service.metadata.namespace!;
    let list = services.get(namespace);
    if (!list) services.set(namespace, (list = []));
    list.push(serviceFactsOf(service as ServiceObject));
  }
  const gateways = new Map<string, GatewayFacts>(ambient.gateways.map((g) => [`${g.metadata.namespace}/${g.metadata.name}`, gatewayFactsOf(g as GatewayObject)]));
  lookup = dataPlaneLookupOf({
    trustDomain: defaultRenderConfig.trustDomain,
    // Only the data-plane labels matter to detection; a namespace of the workload without them is on sidecars.
    namespaceLabels: (namespace) => (workload.namespaceTenants.has(namespace) ? (ambient.namespaceLabels.get(namespace) ?? {}) : undefined),
    servicesIn: (namespace) => services.get(namespace) ?? [],
    gateway: (namespace, name) => gateways.get(`${namespace}/${name}`),
  });
  lookups.set(ambient, lookup);
  return lookup;
}
