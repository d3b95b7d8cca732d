// Options several commands share, spelled as kubectl spells them, and their parsing into
// what the pure parts need (render settings, a kube client). One place, so `render`,
// `diff`, `check` and `test` accept the same flags with the same meaning.
import { Option, type Command } from "commander";
import type { RenderConfig } from "../config.js";
import { DATA_PLANES } from "../dataplane/data-plane.js";
import { parseSettings } from "../options.js";
import { KubeClient } from "../runtime/kube-client.js";
import { DATA_PLANE_FLAG } from "./data-planes.js";
import { UsageError } from "./exit-codes.js";

export interface FileOptions {
  filename?: string[];
  recursive?: boolean;
  namespace?: string;
}

export interface RenderSettingOptions {
  trustDomain?: string;
  defaultIssuer?: string;
  defaultIssuerKind?: string;
  defaultIssuerGroup?: string;
  tenantLabel?: string;
}

export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
}

export function addFileOptions(command: Command, required = true): Command {
  return command
    .option("-f, --filename <path...>", `manifests: files, directories, or - for stdin (YAML, several documents, or JSON)${required ? "" : "; omit with --live"}`)
    .option("-R, --recursive", "read directories named by -f recursively", false)
    .option("-n, --namespace <namespace>", "namespace for objects that name none (as kubectl apply)");
}

// The operator's own settings that change what is rendered, with the operator's flag names
// and environment variables, so the CLI renders what that operator writes.
export function addRenderSettingOptions(command: Command): Command {
  return command
    .option("--trust-domain <domain>", "SPIFFE trust domain of the mesh, as the operator's --trust-domain (env NEXUS_TRUST_DOMAIN, default cluster.local)")
    .option("--default-issuer <name>", "issuer for identities that name none, as the operator's (env NEXUS_DEFAULT_ISSUER, default nexus-ca)")
    .option("--default-issuer-kind <kind>", "Issuer or ClusterIssuer (env NEXUS_DEFAULT_ISSUER_KIND, default ClusterIssuer)")
    .option("--default-issuer-group <group>", "issuer API group (env NEXUS_DEFAULT_ISSUER_GROUP, default cert-manager.io)")
    .option("--tenant-label <key>", "namespace label naming a namespace's tenant, as the operator's (env NEXUS_TENANT_LABEL, default security.nexus.io/tenant)");
}

export function addClusterOptions(command: Command): Command {
  return command
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    .option("--context <name>", "kubeconfig context to use (default: its current context)");
}

/**
 * --data-plane (check, test): one data plane for every target. Commander refuses any other
 * value with an error naming the flag and the allowed values (exit code 2, as every usage error).
 */
export function dataPlaneOption(): Option {
  return new Option(`${DATA_PLANE_FLAG} <plane>`, "judge every target on this data plane instead of the one detected (from files, rendered for it too)").choices([...DATA_PLANES]);
}

export function outputOption(formats: readonly string[], defaultFormat: string): Option {
  return new Option("-o, --output <format>", "output format").choices([...formats]).default(defaultFormat);
}

const RENDER_ENV = [
  "NEXUS_TRUST_DOMAIN",
  "NEXUS_DEFAULT_ISSUER",
  "NEXUS_DEFAULT_ISSUER_KIND",
  "NEXUS_DEFAULT_ISSUER_GROUP",
  "NEXUS_TENANT_LABEL",
  "NEXUS_ALLOWED_CLUSTER_ISSUERS",
  "NEXUS_ALLOWED_DNS_SUFFIXES",
  "NEXUS_CLUSTER_DOMAIN",
  "NEXUS_MAX_CERTIFICATE_DURATION",
];

export function renderConfigOf(options: RenderSettingOptions, env: NodeJS.ProcessEnv): RenderConfig {
  const args = [
    ...(options.trustDomain !== undefined ? [`--trust-domain=${options.trustDomain}`] : []),
    ...(options.defaultIssuer !== undefined ? [`--default-issuer=${options.defaultIssuer}`] : []),
    ...(options.defaultIssuerKind !== undefined ? [`--default-issuer-kind=${options.defaultIssuerKind}`] : []),
    ...(options.defaultIssuerGroup !== undefined ? [`--default-issuer-group=${options.defaultIssuerGroup}`] : []),
    ...(options.tenantLabel !== undefined ? [`--tenant-label=${options.tenantLabel}`] : []),
  ];
  const renderEnv = Object.fromEntries(RENDER_ENV.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]));
  try {
    return parseSettings(args, renderEnv).render;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * A client of the cluster the options name. The Kubernetes client library is loaded here,
 * on first use: it takes most of a second to load, which the offline commands (validate,
 * render, check and test on files) should not pay.
 */
export async function kubeClientOf(options: ClusterOptions, env: NodeJS.ProcessEnv): Promise<KubeClient> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kubeConfig = new KubeConfig();
  try {
    const file = options.kubeconfig ?? firstKubeconfig(env.KUBECONFIG);
    if (file) kubeConfig.loadFromFile(file);
    else kubeConfig.loadFromDefault();
  } catch (err) {
    throw new UsageError(`cannot read the kubeconfig: ${(err as Error).message}`);
  }
  if (options.context !== undefined) {
    if (!kubeConfig.getContexts().some((c) => c.name === options.context)) {
      throw new UsageError(`--context ${options.context}: no such context in the kubeconfig (it has ${kubeConfig.getContexts().map((c) => c.name).join(", ") || "none"})`);
    }
    kubeConfig.setCurrentContext(options.context);
  }
  try {
    return new KubeClient(kubeConfig);
  } catch (err) {
    throw new UsageError(`kubeconfig: ${(err as Error).message}`);
  }
}

function firstKubeconfig(value: string | undefined): string | undefined {
  const first = value?.split(":").find((part) => part !== "");
  return first;
}
