// Operator settings that change what is rendered. Runtime settings (addresses, log level,
// concurrency) live with the runtime; the renderers only ever see this.
import type { IssuerReference } from "./api/types.js";
import { DEFAULT_TENANT_LABEL } from "./policy/tenancy.js";

export interface RenderConfig {
  /** SPIFFE trust domain of the mesh, e.g. cluster.local. */
  trustDomain: string;
  /** Issuer for EngineIdentities that name none. */
  defaultIssuer: Required<IssuerReference>;
  /** The namespace label that names a namespace's tenant; default security.nexus.io/tenant. */
  tenantLabel?: string;
  /** What a namespace may ask for in a certificate; defaults in certificate-limits.ts. */
  certificateLimits?: CertificateLimitSettings;
  /** Size budget of one rendered AuthorizationPolicy in bytes of JSON; default SHARD_BUDGET_BYTES (tests set it small). */
  shardBudgetBytes?: number;
}

export const defaultRenderConfig: RenderConfig = {
  trustDomain: "cluster.local",
  defaultIssuer: { name: "nexus-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
};

export interface CertificateLimitSettings {
  /** ClusterIssuers an EngineIdentity may name; default: only the default issuer (when it is a ClusterIssuer). */
  allowedClusterIssuers?: readonly string[];
  /** DNS name suffixes allowed besides the namespace's own services; `{namespace}` expands. */
  allowedDnsSuffixes?: readonly string[];
  /** The cluster's DNS domain, for <svc>.<ns>.svc.<domain>; default cluster.local. */
  clusterDomain?: string;
  /** Longest certificate duration in milliseconds; default 7 days. */
  maxDurationMs?: number;
}

export function tenantLabelOf(config: Pick<RenderConfig, "tenantLabel">): string {
  return config.tenantLabel ?? DEFAULT_TENANT_LABEL;
}
