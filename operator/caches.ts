// The informer caches every reconciler reads from. Reconcilers never list the apiserver:
// they read here and write through the client.
import type { Logger } from "pino";
import type { AccessPolicy, EngineIdentity } from "./api/types.js";
import { FIELD_MANAGER, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "./render/metadata.js";
import { slimGatewayForCache, slimServiceForCache } from "./access/data-plane-cache.js";
import { keepIstioObjections, WAYPOINT_ACCEPTED, ZTUNNEL_ACCEPTED } from "./access/istio-verdicts.js";
import { carryVerifiedContent, compactRenderedForCache } from "./runtime/apply-if-changed.js";
import { keepNameAndOwnersOnly } from "./runtime/cache-slimming.js";
import { SupervisedInformer } from "./runtime/informer.js";
import type { KubeClient, KubeObject } from "./runtime/kube-client.js";
import type { OwnWrites } from "./runtime/own-writes.js";
import { resources } from "./runtime/resources.js";

const managedSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
const unmanagedSelector = `${MANAGED_BY_LABEL}!=${MANAGED_BY_VALUE}`;

/** Rendered AuthorizationPolicies: metadata, the content hash of the body, and Istio's objections in status (istio-verdicts.ts). */
function compactAuthorizationPolicy(object: KubeObject): void {
  compactRenderedForCache(object);
  keepIstioObjections(object, [ZTUNNEL_ACCEPTED, WAYPOINT_ACCEPTED]);
}

export type Caches = ReturnType<typeof createCaches>;

/**
 * ownWrites: the writes of the client these caches' owner writes with; every kind written
 * through it is watched with it, so each write's echo is told apart (and forgotten).
 */
export function createCaches(client: KubeClient, log: Logger, ownWrites?: OwnWrites) {
  const informer = <T extends KubeObject>(type: (typeof resources)[keyof typeof resources], labelSelector?: string, transform?: (o: KubeObject) => void, metadataOnly = true) =>
    new SupervisedInformer<T>(client, type, log, {
      // Objects we write (selected by our label): who else wrote one is kept, to name it when
      // its drift is repaired and to undo what it added to a spec (runtime/foreign-spec.ts).
      ...(labelSelector ? { labelSelector, keepFieldManagersOtherThan: FIELD_MANAGER } : {}),
      ...(ownWrites ? { ownWrites } : {}),
      // Rendered objects: their bodies are known from the list and from our own writes, so
      // the watch brings their metadata only (generation and content hash tell when a body
      // must be read again).
      ...(transform ? { transform, ...(metadataOnly ? { metadataOnlyWatch: { carry: carryVerifiedContent } } : {}) } : {}),
    });
  // Read only, never written: slimmed to what detection reads.
  const readOnly = <T extends KubeObject>(type: (typeof resources)[keyof typeof resources], transform: (o: KubeObject) => void) =>
    new SupervisedInformer<T>(client, type, log, { transform });
  // Namesakes: objects of a kind we write that lack our label (someone's own, or another
  // tool's). The caches above never see them, and our forced apply would take one over, so
  // their names and owners are kept to report the name as taken instead.
  const namesakes = (type: (typeof resources)[keyof typeof resources]) =>
    new SupervisedInformer<KubeObject>(client, type, log, {
      labelSelector: unmanagedSelector,
      transform: keepNameAndOwnersOnly,
      metadataOnlyWatch: { carry: keepNothing },
      absenceLoggedElsewhere: true,
    });
  return {
    identities: informer<EngineIdentity & KubeObject>(resources.engineIdentity),
    policies: informer<AccessPolicy & KubeObject>(resources.accessPolicy),
    certificates: informer<KubeObject>(resources.certificate, managedSelector),
    issuers: informer<KubeObject>(resources.issuer),
    clusterIssuers: informer<KubeObject>(resources.clusterIssuer),
    serviceAccounts: informer<KubeObject>(resources.serviceAccount),
    namespaces: informer<KubeObject>(resources.namespace),
    // Which data plane runs a target (operator/dataplane/detect.ts). Gateways are optional:
    // without the Gateway API CRDs the informer reports the kind absent and no waypoint exists.
    services: readOnly<KubeObject>(resources.service, slimServiceForCache),
    gateways: readOnly<KubeObject>(resources.gateway, slimGatewayForCache),
    // The operator renders these whole, so their caches keep metadata and a digest of the body.
    // AuthorizationPolicies are watched whole: istiod writes ZtunnelAccepted/WaypointAccepted
    // into their status without changing their generation, and a metadata-only watch would
    // never show it (the read-back of api.md "Data planes" would then assume silently).
    authorizationPolicies: informer<KubeObject>(resources.authorizationPolicy, managedSelector, compactAuthorizationPolicy, false),
    peerAuthentications: informer<KubeObject>(resources.peerAuthentication, managedSelector, compactRenderedForCache),
    requestAuthentications: informer<KubeObject>(resources.requestAuthentication, managedSelector, compactRenderedForCache),
    unmanagedCertificates: namesakes(resources.certificate),
    unmanagedAuthorizationPolicies: namesakes(resources.authorizationPolicy),
    unmanagedPeerAuthentications: namesakes(resources.peerAuthentication),
    unmanagedRequestAuthentications: namesakes(resources.requestAuthentication),
  };
}

function keepNothing(): void {}

export function allInformers(caches: Caches): SupervisedInformer<KubeObject>[] {
  return Object.values(caches) as SupervisedInformer<KubeObject>[];
}

/**
 * A namespace being deleted: the apiserver refuses every new object in it, and everything
 * in it goes anyway, so its objects are left alone instead of retried against a 403.
 */
export function namespaceTerminating(caches: Caches, namespace: string): boolean {
  return caches.namespaces.get(namespace)?.metadata.deletionTimestamp !== undefined;
}
