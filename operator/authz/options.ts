// nexus-authz settings from flags and environment variables (flags win), in the operator's
// style: the same names where the meaning is the same, and a message naming the setting
// for every bad value.
import { parseArgs } from "node:util";
import { DEFAULT_TENANT_LABEL, tenantLabelProblem } from "../policy/tenancy.js";
import type { FailureBudget } from "./failure-limiter.js";

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
}

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
  };
}
