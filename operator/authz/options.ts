// nexus-authz settings from flags and environment variables (flags win), in the operator's
// style: the same names where the meaning is the same, and a message naming the setting
// for every bad value.
import { parseArgs } from "node:util";
import { reservedTrustDomainProblem } from "../policy/no-caller.js";
import { DEFAULT_TENANT_LABEL, tenantLabelProblem } from "../policy/tenancy.js";
import type { FailureBudget } from "./failure-limiter.js";
import { parseCidr } from "./jwks-fetch.js";

export interface AuthzSettings {
  trustDomain: string;
  /** The namespace label naming a namespace's tenant, as the operator's --tenant-label. */
  tenantLabel: string;
  kubeconfig?: string;
  logLevel: string;
  grpcAddress: string;
  metricsAddress: string;
  probeAddress: string;
  /** A file for the audit records; absent: standard output, beside the log lines. */
  auditLog?: string;
  budget: FailureBudget;
  redisUrl?: string;
  realm: string;
  jwksCooldownSeconds: number;
  jwksCacheSeconds: number;
  /** Gateways whose x-forwarded-for names the client a failure is counted against. */
  trustedGatewayPrincipals: string[];
  trustedGatewayHops: number;
  /** How the gate learns who sent a Check; see caller-identity.ts. */
  callerIdentity: CallerIdentitySource;
  /** The gate's own SPIFFE ID: the By= of the XFCC element its sidecar adds. */
  gateSpiffeId?: string;
  tls?: { certFile: string; keyFile: string; clientCaFile: string };
  maxPathLength: number;
  /** Host names (exact, or "*.suffix") a jwksUri may name. */
  allowedJwksHosts: string[];
  /** Private, loopback or link-local addresses a JWKS fetch may still connect to (CIDRs). */
  allowedJwksAddresses: string[];
  /** Byte budgets of the gate's caches. */
  tokenCacheBytes: number;
  keySetCacheBytes: number;
}

export type CallerIdentitySource = "sidecar-xfcc" | "tls";

const settings = {
  "trust-domain": { env: "NEXUS_TRUST_DOMAIN", default: "cluster.local" },
  "tenant-label": { env: "NEXUS_TENANT_LABEL", default: DEFAULT_TENANT_LABEL },
  kubeconfig: { env: "KUBECONFIG", default: "" },
  "log-level": { env: "NEXUS_LOG_LEVEL", default: "info" },
  "grpc-bind-address": { env: "NEXUS_AUTHZ_GRPC_BIND_ADDRESS", default: ":9000" },
  "metrics-bind-address": { env: "NEXUS_METRICS_BIND_ADDRESS", default: ":8080" },
  "health-probe-bind-address": { env: "NEXUS_HEALTH_PROBE_BIND_ADDRESS", default: ":8081" },
  "audit-log": { env: "NEXUS_AUTHZ_AUDIT_LOG", default: "" },
  "rate-limit-failures": { env: "NEXUS_AUTHZ_RATE_LIMIT_FAILURES", default: "10" },
  "rate-limit-window": { env: "NEXUS_AUTHZ_RATE_LIMIT_WINDOW", default: "60" },
  "rate-limit-block": { env: "NEXUS_AUTHZ_RATE_LIMIT_BLOCK", default: "60" },
  "rate-limit-redis": { env: "NEXUS_AUTHZ_RATE_LIMIT_REDIS", default: "" },
  realm: { env: "NEXUS_AUTHZ_REALM", default: "nexus" },
  "jwks-cooldown": { env: "NEXUS_AUTHZ_JWKS_COOLDOWN", default: "30" },
  "jwks-cache": { env: "NEXUS_AUTHZ_JWKS_CACHE", default: "600" },
  "trusted-gateway-principals": { env: "NEXUS_AUTHZ_TRUSTED_GATEWAY_PRINCIPALS", default: "" },
  "trusted-gateway-hops": { env: "NEXUS_AUTHZ_TRUSTED_GATEWAY_HOPS", default: "0" },
  "caller-identity": { env: "NEXUS_AUTHZ_CALLER_IDENTITY", default: "" },
  "gate-spiffe-id": { env: "NEXUS_AUTHZ_GATE_SPIFFE_ID", default: "" },
  "tls-cert-file": { env: "NEXUS_AUTHZ_TLS_CERT_FILE", default: "" },
  "tls-key-file": { env: "NEXUS_AUTHZ_TLS_KEY_FILE", default: "" },
  "tls-client-ca-file": { env: "NEXUS_AUTHZ_TLS_CLIENT_CA_FILE", default: "" },
  "max-path-length": { env: "NEXUS_AUTHZ_MAX_PATH_LENGTH", default: "8192" },
  "allowed-jwks-hosts": { env: "NEXUS_AUTHZ_ALLOWED_JWKS_HOSTS", default: "" },
  "allowed-jwks-addresses": { env: "NEXUS_AUTHZ_ALLOWED_JWKS_ADDRESSES", default: "" },
  "token-cache-bytes": { env: "NEXUS_AUTHZ_TOKEN_CACHE_BYTES", default: "16777216" },
  "key-set-cache-bytes": { env: "NEXUS_AUTHZ_KEY_SET_CACHE_BYTES", default: "8388608" },
} as const;

type SettingName = keyof typeof settings;

export function parseAuthzSettings(argv: string[], env: NodeJS.ProcessEnv): AuthzSettings {
  const { values } = parseArgs({ args: argv, options: Object.fromEntries(Object.keys(settings).map((k) => [k, { type: "string" as const }])), strict: true });
  const get = (name: SettingName): string => (values[name] as string | undefined) ?? env[settings[name].env] ?? settings[name].default;
  const whole = (name: SettingName, min: number, max: number, unit: string): number => {
    const value = Number(get(name));
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} (${settings[name].env}) must be a whole number of ${unit} from ${min} to ${max}; got "${get(name)}"`);
    return value;
  };
  const trustDomain = get("trust-domain");
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) throw new Error(`--trust-domain (NEXUS_TRUST_DOMAIN) must be lowercase letters, digits, '.', '-' or '_'; got "${trustDomain}"`);
  const reserved = reservedTrustDomainProblem(trustDomain);
  if (reserved) throw new Error(`--trust-domain (NEXUS_TRUST_DOMAIN) ${reserved}`);
  const logLevel = get("log-level");
  if (!["fatal", "error", "warn", "info", "debug", "trace"].includes(logLevel)) throw new Error(`--log-level must be one of fatal, error, warn, info, debug, trace; got "${logLevel}"`);
  const redisUrl = get("rate-limit-redis");
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new Error(`--rate-limit-redis (NEXUS_AUTHZ_RATE_LIMIT_REDIS) must be a redis:// or rediss:// URL; got a value of another form`);
  const realm = get("realm");
  if (!/^[A-Za-z0-9 ._:/-]{1,64}$/.test(realm)) throw new Error(`--realm (NEXUS_AUTHZ_REALM) must be 1 to 64 letters, digits, spaces and . _ : / -; got "${realm}"`);
  const tenantLabel = get("tenant-label");
  const labelProblem = tenantLabelProblem(tenantLabel);
  if (labelProblem) throw new Error(`--tenant-label (NEXUS_TENANT_LABEL) ${labelProblem}`);
  const kubeconfig = get("kubeconfig");
  const auditLog = get("audit-log");
  const list = (name: SettingName): string[] =>
    get(name)
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
  const trustedGatewayPrincipals = list("trusted-gateway-principals");
  for (const p of trustedGatewayPrincipals) {
    if (!/^spiffe:\/\/[^/\s]+\/ns\/[^/\s]+\/sa\/[^/\s]+$/.test(p)) throw new Error(`--trusted-gateway-principals (NEXUS_AUTHZ_TRUSTED_GATEWAY_PRINCIPALS) must list SPIFFE IDs spiffe://<trust domain>/ns/<namespace>/sa/<service account>; got "${p}"`);
  }
  const callerIdentity = get("caller-identity");
  if (callerIdentity !== "sidecar-xfcc" && callerIdentity !== "tls") {
    throw new Error(
      `--caller-identity (NEXUS_AUTHZ_CALLER_IDENTITY) must be "sidecar-xfcc" (the gate runs behind its own Istio sidecar, which adds x-forwarded-client-cert) or "tls" (the gate serves mTLS itself); got "${callerIdentity}"`,
    );
  }
  const gateSpiffeId = get("gate-spiffe-id");
  if (gateSpiffeId && !gateSpiffeId.startsWith("spiffe://")) throw new Error(`--gate-spiffe-id (NEXUS_AUTHZ_GATE_SPIFFE_ID) must be a spiffe:// URI; got "${gateSpiffeId}"`);
  const tlsFiles = { certFile: get("tls-cert-file"), keyFile: get("tls-key-file"), clientCaFile: get("tls-client-ca-file") };
  const tlsGiven = Object.values(tlsFiles).filter(Boolean).length;
  if (callerIdentity === "tls" && tlsGiven !== 3) throw new Error(`--caller-identity=tls needs --tls-cert-file, --tls-key-file and --tls-client-ca-file`);
  if (callerIdentity !== "tls" && tlsGiven > 0) throw new Error(`--tls-cert-file, --tls-key-file and --tls-client-ca-file are only for --caller-identity=tls`);
  const allowedJwksHosts = list("allowed-jwks-hosts").map((h) => h.toLowerCase());
  for (const h of allowedJwksHosts) {
    if (!/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/.test(h)) throw new Error(`--allowed-jwks-hosts (NEXUS_AUTHZ_ALLOWED_JWKS_HOSTS) must list host names, "*.<suffix>" or IP literals, optionally with :port; got "${h}"`);
  }
  const allowedJwksAddresses = list("allowed-jwks-addresses");
  for (const cidr of allowedJwksAddresses) {
    if (!parseCidr(cidr)) throw new Error(`--allowed-jwks-addresses (NEXUS_AUTHZ_ALLOWED_JWKS_ADDRESSES) must list CIDRs such as 10.1.0.0/16 or fd00::/8; got "${cidr}"`);
  }
  return {
    trustDomain,
    tenantLabel,
    ...(kubeconfig ? { kubeconfig } : {}),
    logLevel,
    grpcAddress: get("grpc-bind-address"),
    metricsAddress: get("metrics-bind-address"),
    probeAddress: get("health-probe-bind-address"),
    ...(auditLog ? { auditLog } : {}),
    budget: {
      failures: whole("rate-limit-failures", 1, 100_000, "failed authentications"),
      windowSeconds: whole("rate-limit-window", 1, 86_400, "seconds"),
      blockSeconds: whole("rate-limit-block", 1, 86_400, "seconds"),
    },
    ...(redisUrl ? { redisUrl } : {}),
    realm,
    jwksCooldownSeconds: whole("jwks-cooldown", 0, 3600, "seconds"),
    jwksCacheSeconds: whole("jwks-cache", 1, 86_400, "seconds"),
    trustedGatewayPrincipals,
    trustedGatewayHops: whole("trusted-gateway-hops", 0, 16, "proxies"),
    callerIdentity,
    ...(gateSpiffeId ? { gateSpiffeId } : {}),
    ...(callerIdentity === "tls" ? { tls: tlsFiles } : {}),
    maxPathLength: whole("max-path-length", 256, 1024 * 1024, "bytes"),
    allowedJwksHosts,
    allowedJwksAddresses,
    tokenCacheBytes: whole("token-cache-bytes", 64 * 1024, 1024 * 1024 * 1024, "bytes"),
    keySetCacheBytes: whole("key-set-cache-bytes", 64 * 1024, 1024 * 1024 * 1024, "bytes"),
  };
}
