// Operator settings from flags and environment variables (flags win), with the defaults
// documented in the README. Bad values stop the start with a message naming the setting.
import { parseArgs } from "node:util";
import type { RenderConfig } from "./config.js";

export interface OperatorSettings {
  render: RenderConfig;
  kubeconfig?: string;
  concurrency: number;
  logLevel: string;
  metricsAddress: string;
  probeAddress: string;
}

const settings = {
  "trust-domain": { env: "NEXUS_TRUST_DOMAIN", default: "cluster.local" },
  "default-issuer": { env: "NEXUS_DEFAULT_ISSUER", default: "nexus-ca" },
  "default-issuer-kind": { env: "NEXUS_DEFAULT_ISSUER_KIND", default: "ClusterIssuer" },
  "default-issuer-group": { env: "NEXUS_DEFAULT_ISSUER_GROUP", default: "cert-manager.io" },
  concurrency: { env: "NEXUS_CONCURRENCY", default: "8" },
  "log-level": { env: "NEXUS_LOG_LEVEL", default: "info" },
  "metrics-bind-address": { env: "NEXUS_METRICS_BIND_ADDRESS", default: ":8080" },
  "health-probe-bind-address": { env: "NEXUS_HEALTH_PROBE_BIND_ADDRESS", default: ":8081" },
  kubeconfig: { env: "KUBECONFIG", default: "" },
} as const;

type SettingName = keyof typeof settings;

export function parseSettings(argv: string[], env: NodeJS.ProcessEnv): OperatorSettings {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(settings).map((k) => [k, { type: "string" as const }])),
    strict: true,
  });
  const get = (name: SettingName): string => (values[name] as string | undefined) ?? env[settings[name].env] ?? settings[name].default;
  const trustDomain = get("trust-domain");
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) {
    throw new Error(`--trust-domain (${settings["trust-domain"].env}) must be lowercase letters, digits, '.', '-' or '_'; got "${trustDomain}"`);
  }
  const kind = get("default-issuer-kind");
  if (kind !== "Issuer" && kind !== "ClusterIssuer") {
    throw new Error(`--default-issuer-kind must be Issuer or ClusterIssuer; got "${kind}"`);
  }
  const concurrency = Number(get("concurrency"));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new Error(`--concurrency must be a whole number from 1 to 256; got "${get("concurrency")}"`);
  }
  const logLevel = get("log-level");
  if (!["fatal", "error", "warn", "info", "debug", "trace"].includes(logLevel)) {
    throw new Error(`--log-level must be one of fatal, error, warn, info, debug, trace; got "${logLevel}"`);
  }
  const kubeconfig = get("kubeconfig");
  return {
    render: { trustDomain, defaultIssuer: { name: get("default-issuer"), kind, group: get("default-issuer-group") } },
    ...(kubeconfig ? { kubeconfig } : {}),
    concurrency,
    logLevel,
    metricsAddress: get("metrics-bind-address"),
    probeAddress: get("health-probe-bind-address"),
  };
}

/** Splits "host:port" or ":port"; port 0 lets the OS choose. */
export function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${address}" is not an address of the form host:port or :port`);
  }
  return { host: address.slice(0, colon) || "0.0.0.0", port };
}
