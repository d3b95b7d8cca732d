// Operator settings from flags and environment variables (flags win), with the defaults
// documented in the README. Bad values stop the start with a message naming the setting.
import { parseArgs } from "node:util";
import type { RenderConfig } from "./config.js";
import { DEFAULT_EVENT_RATE_LIMIT } from "./runtime/events.js";
import { DEFAULT_CLUSTER_DOMAIN } from "./identity/certificate-limits.js";
import { parseGoDuration } from "./identity/duration.js";
import { reservedTrustDomainProblem } from "./policy/no-caller.js";
import { DEFAULT_TENANT_LABEL, tenantLabelProblem } from "./policy/tenancy.js";

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface OperatorSettings {
  render: RenderConfig;
  kubeconfig?: string;
  concurrency: number;
  logLevel: string;
  metricsAddress: string;
  /** Who may read /metrics: callers the apiserver authorizes (TokenReview + SubjectAccessReview), or anyone. */
  metricsAuth: "kubernetes" | "none";
  probeAddress: string;
  eventRateLimit: { perSecond: number; burst: number };
  leaderElection?: { namespace: string; name: string; leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number };
}

const settings = {
  "trust-domain": { env: "NEXUS_TRUST_DOMAIN", default: "cluster.local" },
  "default-issuer": { env: "NEXUS_DEFAULT_ISSUER", default: "nexus-ca" },
  "default-issuer-kind": { env: "NEXUS_DEFAULT_ISSUER_KIND", default: "ClusterIssuer" },
  "default-issuer-group": { env: "NEXUS_DEFAULT_ISSUER_GROUP", default: "cert-manager.io" },
  "tenant-label": { env: "NEXUS_TENANT_LABEL", default: DEFAULT_TENANT_LABEL },
  // Empty: only the default issuer (when it is a ClusterIssuer).
  "allowed-cluster-issuers": { env: "NEXUS_ALLOWED_CLUSTER_ISSUERS", default: "" },
  "allowed-dns-suffixes": { env: "NEXUS_ALLOWED_DNS_SUFFIXES", default: "" },
  "cluster-domain": { env: "NEXUS_CLUSTER_DOMAIN", default: DEFAULT_CLUSTER_DOMAIN },
  "max-certificate-duration": { env: "NEXUS_MAX_CERTIFICATE_DURATION", default: "168h" },
  concurrency: { env: "NEXUS_CONCURRENCY", default: "8" },
  "log-level": { env: "NEXUS_LOG_LEVEL", default: "info" },
  "event-qps": { env: "NEXUS_EVENT_QPS", default: String(DEFAULT_EVENT_RATE_LIMIT.perSecond) },
  "event-burst": { env: "NEXUS_EVENT_BURST", default: String(DEFAULT_EVENT_RATE_LIMIT.burst) },
  "metrics-bind-address": { env: "NEXUS_METRICS_BIND_ADDRESS", default: ":8080" },
  "metrics-auth": { env: "NEXUS_METRICS_AUTH", default: "kubernetes" },
  "health-probe-bind-address": { env: "NEXUS_HEALTH_PROBE_BIND_ADDRESS", default: ":8081" },
  kubeconfig: { env: "KUBECONFIG", default: "" },
  "leader-elect": { env: "NEXUS_LEADER_ELECT", default: "false" },
  "leader-election-namespace": { env: "POD_NAMESPACE", default: "default" },
  "leader-election-id": { env: "NEXUS_LEADER_ELECTION_ID", default: "nexus-operator" },
  "leader-elect-lease-duration": { env: "NEXUS_LEADER_ELECT_LEASE_DURATION", default: "15" },
  "leader-elect-renew-deadline": { env: "NEXUS_LEADER_ELECT_RENEW_DEADLINE", default: "10" },
  "leader-elect-retry-period": { env: "NEXUS_LEADER_ELECT_RETRY_PERIOD", default: "2" },
} as const;

type SettingName = keyof typeof settings;

export function parseSettings(argv: string[], env: NodeJS.ProcessEnv): OperatorSettings {
  // `--leader-elect` alone means true, as with controller-runtime operators.
  const args = argv.map((arg, i) => (arg === "--leader-elect" && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("--")) ? "--leader-elect=true" : arg));
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(Object.keys(settings).map((k) => [k, { type: "string" as const }])),
    strict: true,
  });
  const get = (name: SettingName): string => (values[name] as string | undefined) ?? env[settings[name].env] ?? settings[name].default;
  const trustDomain = get("trust-domain");
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) {
    throw new Error(`--trust-domain (${settings["trust-domain"].env}) must be lowercase letters, digits, '.', '-' or '_'; got "${trustDomain}"`);
  }
  const reserved = reservedTrustDomainProblem(trustDomain);
  if (reserved) throw new Error(`--trust-domain (${settings["trust-domain"].env}) ${reserved}`);
  const kind = get("default-issuer-kind");
  if (kind !== "Issuer" && kind !== "ClusterIssuer") {
    throw new Error(`--default-issuer-kind must be Issuer or ClusterIssuer; got "${kind}"`);
  }
  const tenantLabel = get("tenant-label");
  const labelProblem = tenantLabelProblem(tenantLabel);
  if (labelProblem) throw new Error(`--tenant-label (${settings["tenant-label"].env}) ${labelProblem}`);
  const list = (name: SettingName): string[] =>
    get(name)
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  const allowedClusterIssuers = list("allowed-cluster-issuers");
  for (const entry of allowedClusterIssuers) {
    const [group, name] = entry.includes("/") ? entry.split("/", 2) : ["cert-manager.io", entry];
    if (!DNS_NAME.test(group ?? "") || !DNS_NAME.test(name ?? "") || entry.split("/").length > 2) {
      throw new Error(`--allowed-cluster-issuers (${settings["allowed-cluster-issuers"].env}) is a comma-separated list of ClusterIssuer names, or group/name for an external issuer; "${entry}" is neither`);
    }
  }
  const allowedDnsSuffixes = list("allowed-dns-suffixes");
  for (const suffix of allowedDnsSuffixes) {
    const expanded = suffix.replaceAll("{namespace}", "ns").replace(/^\./, "");
    // A suffix of one label (say "com") would allow nearly every name on the internet.
    if (!DNS_NAME.test(expanded) || !expanded.includes(".")) {
      throw new Error(`--allowed-dns-suffixes (${settings["allowed-dns-suffixes"].env}) is a comma-separated list of DNS suffixes of at least two labels, such as {namespace}.apps.example.com; "${suffix}" is not one`);
    }
  }
  const clusterDomain = get("cluster-domain");
  if (!DNS_NAME.test(clusterDomain)) {
    throw new Error(`--cluster-domain (${settings["cluster-domain"].env}) must be a DNS name such as cluster.local; got "${clusterDomain}"`);
  }
  let maxDurationMs: number;
  try {
    maxDurationMs = parseGoDuration(get("max-certificate-duration"));
  } catch {
    maxDurationMs = Number.NaN;
  }
  if (!(maxDurationMs >= 3_600_000)) {
    throw new Error(`--max-certificate-duration (${settings["max-certificate-duration"].env}) must be a Go duration of at least 1h, such as 168h; got "${get("max-certificate-duration")}"`);
  }
  const concurrency = Number(get("concurrency"));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new Error(`--concurrency must be a whole number from 1 to 256; got "${get("concurrency")}"`);
  }
  const logLevel = get("log-level");
  if (!["fatal", "error", "warn", "info", "debug", "trace"].includes(logLevel)) {
    throw new Error(`--log-level must be one of fatal, error, warn, info, debug, trace; got "${logLevel}"`);
  }
  const eventQps = Number(get("event-qps"));
  if (!Number.isFinite(eventQps) || eventQps <= 0 || eventQps > 1000) {
    throw new Error(`--event-qps (${settings["event-qps"].env}) must be a number of Events per second above 0 and at most 1000; got "${get("event-qps")}"`);
  }
  const eventBurst = Number(get("event-burst"));
  if (!Number.isInteger(eventBurst) || eventBurst < 1 || eventBurst > 10_000) {
    throw new Error(`--event-burst (${settings["event-burst"].env}) must be a whole number from 1 to 10000; got "${get("event-burst")}"`);
  }
  const metricsAuth = get("metrics-auth");
  if (metricsAuth !== "kubernetes" && metricsAuth !== "none") {
    throw new Error(`--metrics-auth (${settings["metrics-auth"].env}) must be kubernetes (a bearer token the apiserver authorizes for get /metrics) or none; got "${metricsAuth}"`);
  }
  const kubeconfig = get("kubeconfig");
  const leaderElect = get("leader-elect");
  if (leaderElect !== "true" && leaderElect !== "false") {
    throw new Error(`--leader-elect must be true or false; got "${leaderElect}"`);
  }
  const seconds = (name: SettingName): number => {
    const value = Number(get(name));
    if (!Number.isInteger(value) || value < 1 || value > 3600) {
      throw new Error(`--${name} must be a whole number of seconds from 1 to 3600; got "${get(name)}"`);
    }
    return value;
  };
  const leaderElection =
    leaderElect === "true"
      ? {
          namespace: get("leader-election-namespace"),
          name: get("leader-election-id"),
          leaseDurationSeconds: seconds("leader-elect-lease-duration"),
          renewDeadlineSeconds: seconds("leader-elect-renew-deadline"),
          retryPeriodSeconds: seconds("leader-elect-retry-period"),
        }
      : undefined;
  if (leaderElection && !(leaderElection.leaseDurationSeconds > leaderElection.renewDeadlineSeconds && leaderElection.renewDeadlineSeconds > leaderElection.retryPeriodSeconds)) {
    throw new Error("--leader-elect-lease-duration must exceed --leader-elect-renew-deadline, which must exceed --leader-elect-retry-period");
  }
  return {
    ...(leaderElection ? { leaderElection } : {}),
    render: {
      trustDomain,
      defaultIssuer: { name: get("default-issuer"), kind, group: get("default-issuer-group") },
      tenantLabel,
      certificateLimits: {
        ...(allowedClusterIssuers.length > 0 ? { allowedClusterIssuers } : {}),
        allowedDnsSuffixes,
        clusterDomain,
        maxDurationMs,
      },
    },
    ...(kubeconfig ? { kubeconfig } : {}),
    concurrency,
    logLevel,
    metricsAddress: get("metrics-bind-address"),
    metricsAuth,
    probeAddress: get("health-probe-bind-address"),
    eventRateLimit: { perSecond: eventQps, burst: eventBurst },
  };
}
