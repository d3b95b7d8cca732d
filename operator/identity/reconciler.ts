// Keeps an EngineIdentity's ServiceAccount and X.509-SVID Certificate in place and its
// status true to what cert-manager reports. Level-triggered: it reads the caches by key.
import type { Logger } from "pino";
import type { CertificateStatus, Condition, EngineIdentity, EngineIdentityStatus } from "../api/types.js";
import { namespaceTerminating, type Caches } from "../caches.js";
import { tenantLabelOf, type RenderConfig } from "../config.js";
import { tenantOfNamespace, verifyTenant } from "../policy/tenancy.js";
import { canonicalJson } from "../render/hash.js";
import { controllerReference, IDENTITY_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../render/metadata.js";
import { needsApply, withAppliedHash } from "../runtime/apply-if-changed.js";
import { otherFieldManagers } from "../runtime/field-managers.js";
import { replaceSpecOthersAdded } from "../runtime/foreign-spec.js";
import { readyFrom, setConditions, type DesiredCondition } from "../runtime/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../runtime/controller.js";
import { splitKey } from "../runtime/object-key.js";
import type { EventRecorder } from "../runtime/events.js";
import { reportReadiness } from "../runtime/readiness-report.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import { resources } from "../runtime/resources.js";
import { writeStatusOrReport } from "../runtime/status-writer.js";
import { principalOf, serviceAccountOf, spiffeIdOf } from "./identity-facts.js";
import { IdentityReason } from "./reasons.js";
import { certificateRefusal } from "./certificate-limits.js";
import { certificateName, renderCertificate, secretNameOf } from "./render-certificate.js";

export interface IdentityReconcilerDeps {
  client: KubeClient;
  caches: Caches;
  events: EventRecorder;
  config: RenderConfig;
  metrics: OperatorMetrics;
  now?: () => Date;
}

type Identity = EngineIdentity & KubeObject;

interface CertificateOutcome {
  condition: DesiredCondition;
  status?: CertificateStatus;
  retry: boolean;
}

interface CertManagerCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export class IdentityReconciler implements Reconciler {
  readonly name = "engineidentity";

  constructor(private readonly deps: IdentityReconcilerDeps) {}

  async reconcile(key: string, { log }: ReconcileContext): Promise<ReconcileResult | void> {
    const [namespace, name] = splitKey(key);
    const identity = this.deps.caches.identities.get(name, namespace);
    if (!identity || identity.metadata.deletionTimestamp || namespaceTerminating(this.deps.caches, namespace ?? "")) {
      // The Certificate and an operator-created ServiceAccount go with it through
      // garbage collection (owner references); only our own bookkeeping is left.
      this.deps.metrics.certificateExpiry.remove({ namespace: namespace ?? "", name });
      return;
    }
    const serviceAccount = await this.ensureServiceAccount(identity, log);
    const certificate = await this.ensureCertificate(identity, log);
    const parts = [certificate.condition, serviceAccount];
    const ready = readyFrom(parts, IdentityReason.Ready, `identity ${spiffeIdOf(identity, this.deps.config.trustDomain)} is ready`);
    // Tenancy is reported beside readiness, not in it: the identity, its ServiceAccount and
    // its certificate are the same whether or not its tenant claim is backed.
    const tenancy = this.tenancyOf(identity);
    await this.writeStatus(identity, [...parts, ready, tenancy.condition], certificate.status, tenancy.tenant, log);
    if (certificate.status?.notAfter) {
      this.deps.metrics.certificateExpiry.set({ namespace: namespace ?? "", name }, Date.parse(certificate.status.notAfter) / 1000);
    }
    return certificate.retry ? { retryWithBackoff: true } : undefined;
  }

  private tenancyOf(identity: Identity): { condition: DesiredCondition; tenant?: string } {
    const namespace = identity.metadata.namespace;
    const label = tenantLabelOf(this.deps.config);
    const namespaceTenant = tenantOfNamespace(this.deps.caches.namespaces.get(namespace)?.metadata.labels, label);
    const verification = verifyTenant(identity.spec.tenant, namespace, namespaceTenant, label);
    return {
      condition: condition("TenantVerified", verification.status, verification.reason, verification.message),
      ...(verification.tenant !== undefined ? { tenant: verification.tenant } : {}),
    };
  }

  private async ensureServiceAccount(identity: Identity, log: Logger): Promise<DesiredCondition> {
    const { caches, client, events } = this.deps;
    const namespace = identity.metadata.namespace;
    const saName = serviceAccountOf(identity);
    await this.removeReplacedServiceAccounts(identity, saName, log);
    const live = caches.serviceAccounts.get(saName, namespace);
    if (live && !isOwnedBy(live, identity)) {
      return condition("ServiceAccountReady", "True", IdentityReason.ServiceAccountExisting, `uses the existing ServiceAccount ${saName}, which the operator leaves untouched`);
    }
    const desired = withAppliedHash<KubeObject>({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: saName,
        namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [IDENTITY_LABEL]: identity.metadata.name },
        ownerReferences: [controllerReference(identity)],
      },
    });
    if (needsApply(desired, live)) {
      await client.apply(desired);
      if (!live) {
        log.info({ serviceAccount: saName }, "created ServiceAccount");
        events.record(identity, "Normal", IdentityReason.ServiceAccountCreated, `created ServiceAccount ${saName}`);
      }
    }
    return condition("ServiceAccountReady", "True", IdentityReason.ServiceAccountManaged, `ServiceAccount ${saName} is managed by the operator`);
  }

  /** A ServiceAccount the operator created under an earlier serviceAccountName goes away. */
  private async removeReplacedServiceAccounts(identity: Identity, current: string, log: Logger): Promise<void> {
    const stale = this.deps.caches.serviceAccounts
      .list(identity.metadata.namespace)
      .filter((sa) => sa.metadata.name !== current && isOwnedBy(sa, identity));
    for (const sa of stale) {
      await this.deps.client.delete(resources.serviceAccount, sa.metadata.name, sa.metadata.namespace, sa.metadata.uid);
      log.info({ serviceAccount: sa.metadata.name }, "deleted replaced ServiceAccount");
      this.deps.events.record(identity, "Normal", IdentityReason.ServiceAccountDeleted, `deleted ServiceAccount ${sa.metadata.name}, replaced by ${current}`);
    }
  }

  private async ensureCertificate(identity: Identity, log: Logger): Promise<CertificateOutcome> {
    const { caches, client, config, events } = this.deps;
    const namespace = identity.metadata.namespace;
    const name = certificateName(identity);
    // A namesake without our label is looked for too (caches.ts): our apply would take it over.
    const live = caches.certificates.get(name, namespace) ?? caches.unmanagedCertificates.get(name, namespace);
    const rendered = renderCertificate(identity, config);
    if (!rendered) {
      if (live && isOwnedBy(live, identity)) {
        await client.delete(resources.certificate, name, namespace, live.metadata.uid);
        events.record(identity, "Normal", IdentityReason.CertificateDeleted, `deleted Certificate ${name}: no certificate is requested any more`);
      }
      return { condition: condition("CertificateReady", "True", IdentityReason.CertificateNotRequested, "no certificate requested: mesh identity only"), retry: false };
    }
    const refusal = certificateRefusal(identity, config);
    if (refusal) {
      // Fail closed: a Certificate written under settings that no longer allow it goes, so
      // cert-manager stops renewing it (the operator cannot read or delete the Secret; what
      // was issued expires at its notAfter).
      if (live && isOwnedBy(live, identity)) {
        await client.delete(resources.certificate, name, namespace, live.metadata.uid);
        log.warn({ certificate: name, reason: refusal.reason }, "deleted a Certificate the identity may no longer request");
        events.record(identity, "Warning", IdentityReason.CertificateDeleted, `deleted Certificate ${name}: ${refusal.message}`);
      }
      return { condition: condition("CertificateReady", "False", refusal.reason, `no Certificate is requested: ${refusal.message}`), retry: false };
    }
    if (caches.certificates.availability === "absent") {
      return {
        condition: condition("CertificateReady", "False", IdentityReason.CertManagerMissing, "cert-manager's CRDs (certificates.cert-manager.io) are not installed; install cert-manager and the operator picks it up by itself"),
        retry: false,
      };
    }
    if (live && !isOwnedBy(live, identity)) {
      return {
        condition: condition("CertificateReady", "False", IdentityReason.CertificateNameTaken, `a Certificate named ${name} exists and is not managed for this identity; rename or remove it`),
        retry: false,
      };
    }
    const desired = withAppliedHash(rendered);
    // A field someone else added to the spec (isCA, more SANs) is not seen by needsApply,
    // which asks only that what we set is there; the cache names the other writers.
    const othersAdded = live !== undefined && otherFieldManagers(live).length > 0 && !sameSpec(live, desired);
    if (needsApply(desired, live) || othersAdded) {
      const response = await client.apply(desired);
      await replaceSpecOthersAdded(client, desired, response, (full) => sameSpec(full, desired));
      log.info({ certificate: name }, live ? "updated Certificate" : "created Certificate");
      events.record(identity, "Normal", IdentityReason.CertificateApplied, `${live ? "updated" : "created"} Certificate ${name}`);
    }
    const issuerProblem = this.issuerProblem(desired, namespace);
    const status = live ? certificateStatusOf(live, identity) : undefined;
    const previousRevision = identity.status?.certificate?.revision;
    if (status?.revision !== undefined && status.revision !== previousRevision) {
      events.record(identity, "Normal", IdentityReason.CertificateIssued, `certificate revision ${status.revision} issued, valid until ${status.notAfter ?? "unknown"}`);
    }
    const ready = live ? readyConditionOf(live) : undefined;
    if (ready?.status === "True" && status?.notAfter) {
      return { condition: condition("CertificateReady", "True", IdentityReason.CertificateIssued, `certificate issued, valid until ${status.notAfter}`), status, retry: false };
    }
    if (issuerProblem) return { condition: issuerProblem, status, retry: true };
    return {
      condition: condition("CertificateReady", "False", IdentityReason.CertificateIssuing, ready?.message ? `cert-manager: ${ready.message}` : "waiting for cert-manager to issue the certificate"),
      status,
      retry: false,
    };
  }

  private issuerProblem(certificate: KubeObject, namespace: string): DesiredCondition | undefined {
    const ref = (certificate.spec as { issuerRef: { name: string; kind: string; group: string } }).issuerRef;
    if (ref.group !== "cert-manager.io") return undefined;
    const cluster = ref.kind === "ClusterIssuer";
    const informer = cluster ? this.deps.caches.clusterIssuers : this.deps.caches.issuers;
    const issuer = informer.get(ref.name, cluster ? undefined : namespace);
    const where = cluster ? `ClusterIssuer ${ref.name}` : `Issuer ${ref.name} in namespace ${namespace}`;
    if (!issuer) {
      return condition("CertificateReady", "False", IdentityReason.IssuerNotFound, `${where} does not exist; create it or point spec.certificate.issuerRef at one that does`);
    }
    const ready = readyConditionOf(issuer);
    if (ready?.status !== "True") {
      return condition("CertificateReady", "False", IdentityReason.IssuerNotReady, `${where} is not ready: ${ready?.message ?? "no Ready condition yet"}`);
    }
    return undefined;
  }

  private async writeStatus(identity: Identity, desired: DesiredCondition[], certificate: CertificateStatus | undefined, tenant: string | undefined, log: Logger): Promise<void> {
    const { config, now } = this.deps;
    const previous = identity.status ?? {};
    const status: EngineIdentityStatus = {
      observedGeneration: identity.metadata.generation,
      spiffeID: spiffeIdOf(identity, config.trustDomain),
      principal: principalOf(identity, config.trustDomain),
      serviceAccount: serviceAccountOf(identity),
      ...(tenant !== undefined ? { tenant } : {}),
      ...(certificate ? { certificate } : {}),
      conditions: setConditions(previous.conditions, desired, identity.metadata.generation, (now ?? (() => new Date()))()),
    };
    if (canonicalJson(status) === canonicalJson(previous)) return;
    await writeStatusOrReport(this.deps, identity, status);
    reportReadiness(identity, previous.conditions, status.conditions, this.deps.events, log);
    reportTenancy(identity, previous.conditions, status.conditions, this.deps.events, log);
  }
}

/** An Event and a log line when the verified tenant changes or a claim stops (or starts) being backed. */
function reportTenancy(identity: Identity, before: Condition[] | undefined, after: Condition[] | undefined, events: EventRecorder, log: Logger): void {
  const was = before?.find((c) => c.type === "TenantVerified");
  const is = after?.find((c) => c.type === "TenantVerified");
  if (!is || (was?.status === is.status && was?.reason === is.reason && was?.message === is.message)) return;
  // A first verdict that all is well is no news (a large first sync would send one Event per
  // identity and crowd out the ones that matter); a refused claim always is.
  if (is.status === "True" && was === undefined) return;
  log.info({ tenantVerified: is.status, reason: is.reason }, "EngineIdentity tenancy changed");
  events.record(identity, is.status === "True" ? "Normal" : "Warning", is.reason, is.message);
}

function condition(type: string, status: DesiredCondition["status"], reason: string, message: string): DesiredCondition {
  return { type, status, reason, message };
}

function isOwnedBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid && ref.controller);
}

function readyConditionOf(object: KubeObject): CertManagerCondition | undefined {
  const conditions = (object.status as { conditions?: CertManagerCondition[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === "Ready");
}

function certificateStatusOf(certificate: KubeObject, identity: Identity): CertificateStatus {
  const s = (certificate.status ?? {}) as { notBefore?: string; notAfter?: string; renewalTime?: string; revision?: number };
  return {
    name: certificate.metadata.name,
    secretName: secretNameOf(identity),
    ...(s.notBefore ? { notBefore: s.notBefore } : {}),
    ...(s.notAfter ? { notAfter: s.notAfter } : {}),
    ...(s.renewalTime ? { renewalTime: s.renewalTime } : {}),
    ...(s.revision !== undefined ? { revision: s.revision } : {}),
  };
}

function sameSpec(live: KubeObject, desired: KubeObject): boolean {
  return canonicalJson((live as { spec?: unknown }).spec ?? null) === canonicalJson((desired as { spec?: unknown }).spec ?? null);
}
