// What a namespace may ask for in a certificate. The operator requests Certificates with its
// own cluster-wide rights, so without limits it would sign for a namespace user names, issuers
// and lifetimes that user could never get alone (a confused deputy). Pure: the reconciler,
// the CLI and the tests all ask here; the chart's admission policy checks the same rules.
import type { EngineIdentity, IssuerReference } from "../api/types.js";
import type { RenderConfig } from "../config.js";
import { parseGoDuration } from "./duration.js";

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";
export const DEFAULT_MAX_CERTIFICATE_DURATION_MS = 7 * 24 * 3_600_000;
const CERT_MANAGER_GROUP = "cert-manager.io";

export const CertificateRefusalReason = {
  IssuerNotAllowed: "IssuerNotAllowed",
  DNSNameNotAllowed: "DNSNameNotAllowed",
  DurationNotAllowed: "DurationNotAllowed",
} as const;

export interface CertificateRefusal {
  reason: (typeof CertificateRefusalReason)[keyof typeof CertificateRefusalReason];
  message: string;
}

export interface CertificateLimits {
  /** Entries `name` (a cert-manager.io ClusterIssuer) or `group/name` (an external issuer's). */
  allowedClusterIssuers: readonly string[];
  /** Suffixes with `{namespace}` not yet expanded. */
  allowedDnsSuffixes: readonly string[];
  clusterDomain: string;
  maxDurationMs: number;
}

export function certificateLimitsOf(config: RenderConfig): CertificateLimits {
  const limits = config.certificateLimits ?? {};
  const { defaultIssuer } = config;
  const defaultClusterIssuers = defaultIssuer.kind === "ClusterIssuer" ? [clusterIssuerEntry(defaultIssuer.name, defaultIssuer.group)] : [];
  return {
    allowedClusterIssuers: limits.allowedClusterIssuers ?? defaultClusterIssuers,
    allowedDnsSuffixes: limits.allowedDnsSuffixes ?? [],
    clusterDomain: limits.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
    maxDurationMs: limits.maxDurationMs ?? DEFAULT_MAX_CERTIFICATE_DURATION_MS,
  };
}

/** How an allowed ClusterIssuer is written in --allowed-cluster-issuers. */
export function clusterIssuerEntry(name: string, group: string): string {
  return group === CERT_MANAGER_GROUP ? name : `${group}/${name}`;
}

/** The issuer an identity's Certificate names, defaults applied as the CRD and the operator apply them. */
export function issuerRefOf(identity: EngineIdentity, config: RenderConfig): Required<IssuerReference> {
  const ref = identity.spec.certificate?.issuerRef;
  if (!ref) return { ...config.defaultIssuer };
  return { name: ref.name, kind: ref.kind ?? "Issuer", group: ref.group ?? CERT_MANAGER_GROUP };
}

/** The first limit the identity's certificate request breaks, or undefined when it may be requested. */
export function certificateRefusal(identity: EngineIdentity, config: RenderConfig): CertificateRefusal | undefined {
  const wanted = identity.spec.certificate;
  if (!wanted) return undefined;
  const limits = certificateLimitsOf(config);
  const namespace = identity.metadata.namespace;
  const issuer = issuerRefOf(identity, config);
  if (issuer.kind === "ClusterIssuer" && !limits.allowedClusterIssuers.includes(clusterIssuerEntry(issuer.name, issuer.group))) {
    const allowed = limits.allowedClusterIssuers.length > 0 ? `the administrators allow ${limits.allowedClusterIssuers.join(", ")}` : "the administrators allow none";
    return {
      reason: CertificateRefusalReason.IssuerNotAllowed,
      message: `spec.certificate.issuerRef names ClusterIssuer ${clusterIssuerEntry(issuer.name, issuer.group)}, which this namespace may not use (${allowed}; --allowed-cluster-issuers); name an Issuer of namespace ${namespace} or an allowed ClusterIssuer`,
    };
  }
  for (const name of wanted.dnsNames ?? []) {
    if (!dnsNameAllowed(name, namespace, limits)) {
      return {
        reason: CertificateRefusalReason.DNSNameNotAllowed,
        message: `spec.certificate.dnsNames has ${name}, which is not a name of namespace ${namespace}: allowed are ${allowedNamesText(namespace, limits)}`,
      };
    }
  }
  const duration = wanted.duration ?? "24h";
  if (parseGoDuration(duration) > limits.maxDurationMs) {
    return {
      reason: CertificateRefusalReason.DurationNotAllowed,
      message: `spec.certificate.duration ${duration} is longer than the ${formatHours(limits.maxDurationMs)} the administrators allow (--max-certificate-duration); ask for at most that`,
    };
  }
  return undefined;
}

/**
 * `<service>.<namespace>.svc` and `<service>.<namespace>.svc.<cluster domain>`, each also as
 * `*.` of itself, and names at or under an allowed suffix (`{namespace}` expanded).
 */
export function dnsNameAllowed(name: string, namespace: string, limits: CertificateLimits): boolean {
  const lower = name.toLowerCase();
  const bare = lower.startsWith("*.") ? lower.slice(2) : lower;
  const labels = bare.split(".");
  const service = labels[0] ?? "";
  // The apiserver's own name: a Service of namespace default, but no namespace user's to claim.
  const apiserver = service === "kubernetes" && namespace === "default";
  const ownService = service !== "" && service !== "*" && !apiserver && labels[1] === namespace && labels[2] === "svc";
  if (ownService && (labels.length === 3 || labels.slice(3).join(".") === limits.clusterDomain.toLowerCase())) return true;
  return limits.allowedDnsSuffixes.some((suffix) => {
    const expanded = expandSuffix(suffix, namespace);
    return expanded !== "" && (bare === expanded || bare.endsWith(`.${expanded}`));
  });
}

export function expandSuffix(suffix: string, namespace: string): string {
  return suffix.replaceAll("{namespace}", namespace).toLowerCase().replace(/^(\*?\.)+/, "");
}

function allowedNamesText(namespace: string, limits: CertificateLimits): string {
  const own = `<service>.${namespace}.svc and <service>.${namespace}.svc.${limits.clusterDomain} (or *. of those)`;
  const suffixes = limits.allowedDnsSuffixes.map((s) => expandSuffix(s, namespace));
  return suffixes.length > 0 ? `${own}, and names under ${suffixes.join(", ")} (--allowed-dns-suffixes)` : `${own} (--allowed-dns-suffixes allows no more)`;
}

function formatHours(ms: number): string {
  const hours = ms / 3_600_000;
  return hours % 24 === 0 ? `${hours / 24} days (${hours}h)` : `${hours}h`;
}
