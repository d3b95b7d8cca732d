// The NEXUS objects among the documents a command was given, keyed and checked for the
// mistakes that would make any answer meaningless (no name, the same object twice).
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { API_GROUP, API_VERSION } from "../api/types.js";
import type { GatewayFacts, ServiceFacts } from "../dataplane/detect.js";
import type { AuthorizationPolicyObject } from "../evaluate/index.js";
import { UsageError } from "./exit-codes.js";
import { gatewayOf, isGatewayDocument, isServiceDocument, namespaceOf, serviceOf } from "./fact-objects.js";
import type { SourceDocument } from "./input.js";

const NEXUS_API_VERSION = `${API_GROUP}/${API_VERSION}`;

export interface Manifests {
  identities: EngineIdentity[];
  policies: AccessPolicy[];
  /** Where each object came from, keyed by `Kind/namespace/name`. */
  origins: Map<string, SourceDocument>;
  /** Istio AuthorizationPolicies written by hand (mesh-wide rules, say): `check` weighs them too. */
  istioPolicies: AuthorizationPolicyObject[];
  /**
   * Labels of the Namespace objects given (v1 Namespace documents): the tenant label on them
   * is what makes a namespace's identities members of a tenant, offline as in a cluster.
   */
  namespaces: Map<string, Record<string, string>>;
  /**
   * Services given (v1), by namespace: with the Namespaces' data-plane labels and the waypoint
   * Gateways they tell which data plane runs each target and which waypoint serves it.
   */
  services: Map<string, ServiceFacts[]>;
  /** Gateway API Gateways given, by `namespace/name`: a waypoint is one of class istio-waypoint. */
  gateways: Map<string, GatewayFacts>;
  /** Documents of other kinds (Deployments, ...), which the commands ignore. */
  otherDocuments: number;
}

export function objectId(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function whereFrom(doc: SourceDocument): string {
  return `${doc.file} document ${doc.index}`;
}

/** Objects without metadata.namespace land in `defaultNamespace`, as with kubectl apply. */
export function manifestsOf(documents: SourceDocument[], defaultNamespace: string): Manifests {
  const manifests: Manifests = { identities: [], policies: [], origins: new Map(), istioPolicies: [], namespaces: new Map(), services: new Map(), gateways: new Map(), otherDocuments: 0 };
  // Where each Service and Gateway came from: the same object twice is refused, as for NEXUS objects.
  const factOrigins = new Map<string, SourceDocument>();
  const once = (doc: SourceDocument, kind: string, namespace: string, name: string) => {
    const earlier = factOrigins.get(objectId(kind, namespace, name));
    if (earlier) throw new UsageError(`${whereFrom(doc)}: ${kind} ${namespace}/${name} is also defined in ${whereFrom(earlier)}`);
    factOrigins.set(objectId(kind, namespace, name), doc);
  };
  for (const doc of documents) {
    const { object } = doc;
    const kind = object.kind;
    if ((kind !== "EngineIdentity" && kind !== "AccessPolicy") || object.apiVersion !== NEXUS_API_VERSION) {
      if (typeof kind === "string" && (kind === "EngineIdentity" || kind === "AccessPolicy")) {
        throw new UsageError(`${whereFrom(doc)}: apiVersion must be ${NEXUS_API_VERSION} for ${kind}; got ${JSON.stringify(object.apiVersion)}`);
      }
      if (kind === "AuthorizationPolicy" && typeof object.apiVersion === "string" && object.apiVersion.startsWith("security.istio.io/")) {
        manifests.istioPolicies.push(istioPolicyOf(doc, defaultNamespace));
      } else if (kind === "Namespace" && object.apiVersion === "v1") {
        const { name, labels } = namespaceOf(doc, whereFrom(doc));
        if (manifests.namespaces.has(name)) throw new UsageError(`${whereFrom(doc)}: Namespace ${name} is given twice`);
        manifests.namespaces.set(name, labels);
      } else if (isServiceDocument(object)) {
        const { namespace, facts } = serviceOf(doc, whereFrom(doc), defaultNamespace);
        once(doc, "Service", namespace, facts.name);
        manifests.services.set(namespace, [...(manifests.services.get(namespace) ?? []), facts]);
      } else if (isGatewayDocument(object)) {
        const { namespace, facts } = gatewayOf(doc, whereFrom(doc), defaultNamespace);
        once(doc, "Gateway", namespace, facts.name);
        manifests.gateways.set(`${namespace}/${facts.name}`, facts);
      } else {
        manifests.otherDocuments++;
      }
      continue;
    }
    const metadata = (object.metadata ?? {}) as Record<string, unknown>;
    if (typeof metadata.name !== "string" || metadata.name === "") {
      throw new UsageError(`${whereFrom(doc)}: ${kind} has no metadata.name`);
    }
    if (object.spec !== undefined && (object.spec === null || typeof object.spec !== "object" || Array.isArray(object.spec))) {
      throw new UsageError(`${whereFrom(doc)}: ${kind} ${metadata.name}: spec must be a mapping`);
    }
    const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : defaultNamespace;
    const id = objectId(kind, namespace, metadata.name);
    const earlier = manifests.origins.get(id);
    if (earlier) throw new UsageError(`${whereFrom(doc)}: ${kind} ${namespace}/${metadata.name} is also defined in ${whereFrom(earlier)}`);
    manifests.origins.set(id, doc);
    // The apiserver gives a new object generation 1; the operator writes it into the
    // source-generation annotation, so a file is rendered as its first apply would be.
    const generation = typeof metadata.generation === "number" ? metadata.generation : 1;
    const normalised = { ...object, metadata: { ...metadata, namespace, generation }, spec: object.spec ?? {} };
    if (kind === "EngineIdentity") manifests.identities.push(normalised as unknown as EngineIdentity);
    else manifests.policies.push(normalised as unknown as AccessPolicy);
  }
  return manifests;
}

/** Namespaces that hold at least one EngineIdentity or AccessPolicy, sorted. */
export function namespacesOf(manifests: Pick<Manifests, "identities" | "policies">): string[] {
  const names = new Set<string>();
  for (const object of [...manifests.identities, ...manifests.policies]) names.add(object.metadata.namespace);
  return [...names].sort();
}

function istioPolicyOf(doc: SourceDocument, defaultNamespace: string): AuthorizationPolicyObject {
  const metadata = (doc.object.metadata ?? {}) as Record<string, unknown>;
  if (typeof metadata.name !== "string" || metadata.name === "") throw new UsageError(`${whereFrom(doc)}: AuthorizationPolicy has no metadata.name`);
  const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : defaultNamespace;
  return { ...(doc.object as unknown as AuthorizationPolicyObject), metadata: { ...(metadata as { name: string }), namespace } };
}
