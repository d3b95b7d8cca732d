// Read-only views of a cluster for the CLI: the NEXUS sources, namespaces and the objects
// the operator rendered. Only GET and LIST requests are ever sent.
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { factsOf } from "../access/identity-index.js";
import { gatewayFactsOf, serviceFactsOf, type GatewayFacts, type ServiceFacts } from "../dataplane/detect.js";
import type { IdentityFacts } from "../policy/index.js";
import { verifiedFacts } from "../policy/tenancy.js";
import { BASELINE_DISABLED, BASELINE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../render/metadata.js";
import { isNotFound, type KubeClient, type KubeObject } from "../runtime/kube-client.js";
import { resources, type ResourceType } from "../runtime/resources.js";
import { InternalError } from "./exit-codes.js";

export const RENDERED_TYPES: readonly ResourceType[] = [resources.authorizationPolicy, resources.peerAuthentication, resources.requestAuthentication, resources.certificate];

async function listing<T extends KubeObject>(client: KubeClient, type: ResourceType, namespace?: string, selector?: string): Promise<T[]> {
  try {
    return (await client.list<T>(type, namespace, selector)).items;
  } catch (err) {
    throw new InternalError(`cannot list ${type.plural}${namespace ? ` in ${namespace}` : ""}: ${(err as Error).message}`);
  }
}

/** `namespaces` undefined means every namespace. */
export async function readIdentities(client: KubeClient, namespaces?: readonly string[]): Promise<EngineIdentity[]> {
  if (!namespaces) return listing<EngineIdentity & KubeObject>(client, resources.engineIdentity);
  return (await Promise.all(namespaces.map((ns) => listing<EngineIdentity & KubeObject>(client, resources.engineIdentity, ns)))).flat();
}

export async function readPolicies(client: KubeClient, namespaces?: readonly string[]): Promise<AccessPolicy[]> {
  if (!namespaces) return listing<AccessPolicy & KubeObject>(client, resources.accessPolicy);
  return (await Promise.all(namespaces.map((ns) => listing<AccessPolicy & KubeObject>(client, resources.accessPolicy, ns)))).flat();
}

/** Every namespace's labels: the tenant label on them decides tenant membership. */
export async function namespaceLabelsOfCluster(client: KubeClient): Promise<Map<string, Record<string, string>>> {
  const namespaces = await listing<KubeObject>(client, resources.namespace);
  return new Map(namespaces.map((ns) => [ns.metadata.name, { ...(ns.metadata.labels ?? {}) }]));
}

/**
 * The Services and waypoint Gateways that, with the namespaces' labels, tell which data plane
 * runs each target (operator/dataplane/detect.ts). Without the Gateway API CRDs there is no
 * Gateway, as the operator finds it: no ambient target has a waypoint.
 */
export async function dataPlaneObjectsOfCluster(client: KubeClient): Promise<{ services: Map<string, ServiceFacts[]>; gateways: Map<string, GatewayFacts> }> {
  const [services, gateways] = await Promise.all([
    listing<KubeObject & { spec?: { selector?: Record<string, string> } }>(client, resources.service),
    client.list<KubeObject & { spec?: { gatewayClassName?: string } }>(resources.gateway).then(
      (list) => list.items,
      (err: Error) => {
        if (isNotFound(err)) return [];
        throw new InternalError(`cannot list ${resources.gateway.plural}: ${err.message}`);
      },
    ),
  ]);
  const byNamespace = new Map<string, ServiceFacts[]>();
  for (const service of services) {
    const namespace = service.metadata.namespace ?? "";
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), serviceFactsOf(service)]);
  }
  return { services: byNamespace, gateways: new Map(gateways.map((gateway) => [`${gateway.metadata.namespace}/${gateway.metadata.name}`, gatewayFactsOf(gateway)])) };
}

/** The cluster's identities, their tenant claims verified against their namespaces' tenants. */
export async function identityFactsOfCluster(client: KubeClient, namespaceTenants: ReadonlyMap<string, string>): Promise<IdentityFacts[]> {
  return (await readIdentities(client)).map((identity) => verifiedFacts(factsOf(identity), namespaceTenants.get(identity.metadata.namespace)));
}

export async function baselineDisabledNamespaces(client: KubeClient): Promise<Set<string>> {
  const namespaces = await listing<KubeObject>(client, resources.namespace, undefined, `${BASELINE_LABEL}=${BASELINE_DISABLED}`);
  return new Set(namespaces.map((ns) => ns.metadata.name));
}

/** Every object in those namespaces labelled as managed by the operator. */
export async function readRendered(client: KubeClient, namespaces: readonly string[]): Promise<KubeObject[]> {
  const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
  const lists = await Promise.all(RENDERED_TYPES.flatMap((type) => namespaces.map((ns) => listing<KubeObject>(client, type, ns, selector))));
  return lists.flat();
}
