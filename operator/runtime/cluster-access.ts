// How the operator and the gate reach the apiserver: a kubeconfig file, or the pod's own
// ServiceAccount when they run in the cluster. Both servers read it here rather than through
// @kubernetes/client-node, whose import alone costs a process about 70 MB of memory (its
// generated API models), which the gate, a per-request authorization hook, cannot afford.
// Only what a server needs is supported: a token (inline or from a file, re-read so a
// rotated projected token is picked up), a client certificate and key, a CA. A kubeconfig
// that needs anything else (exec plugins, auth providers) is refused with the field named.
// The CLI keeps client-node's loader, which knows every kubeconfig a person may have.
import { readFileSync } from "node:fs";
import type https from "node:https";
import { homedir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";

/** What KubeClient needs of a connection; client-node's KubeConfig also has this shape. */
export interface ClusterAccess {
  getCurrentCluster(): { server: string } | null;
  /** Sets the TLS material and the Authorization header on request options. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

interface Credentials {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  token?: string;
  tokenFile?: string;
}

export const IN_CLUSTER_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

// A projected ServiceAccount token is rotated by the kubelet well before it expires; reading
// the file again after a minute keeps the client on a current one at no measurable cost.
const TOKEN_FILE_REREAD_MS = 60_000;

class StaticClusterAccess implements ClusterAccess {
  private token: string | undefined;
  private tokenReadAt = 0;

  constructor(private readonly credentials: Credentials) {
    this.token = credentials.token;
  }

  getCurrentCluster(): { server: string } {
    return { server: this.credentials.server };
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    const c = this.credentials;
    if (c.ca) options.ca = c.ca;
    if (c.cert) options.cert = c.cert;
    if (c.key) options.key = c.key;
    if (c.insecureSkipTlsVerify) options.rejectUnauthorized = false;
    const token = this.currentToken();
    if (token) options.headers = { ...(options.headers ?? {}), authorization: `Bearer ${token}` };
  }

  private currentToken(): string | undefined {
    const file = this.credentials.tokenFile;
    if (!file) return this.token;
    const now = Date.now();
    if (this.token === undefined || now - this.tokenReadAt >= TOKEN_FILE_REREAD_MS) {
      this.token = readFileSync(file, "utf8").trim();
      this.tokenReadAt = now;
    }
    return this.token;
  }
}

/**
 * The connection a server process uses: the kubeconfig file it was given, else the pod's
 * ServiceAccount (KUBERNETES_SERVICE_HOST set), else ~/.kube/config. Throws with the
 * file and field at fault when none of them can be used.
 */
export function loadClusterAccess(kubeconfigPath: string | undefined, env: NodeJS.ProcessEnv = process.env, inClusterDir = IN_CLUSTER_DIR): ClusterAccess {
  if (kubeconfigPath) return new StaticClusterAccess(credentialsFromKubeconfigFile(kubeconfigPath));
  if (env.KUBERNETES_SERVICE_HOST) return new StaticClusterAccess(inClusterCredentials(env, inClusterDir));
  const fallback = path.join(homedir(), ".kube", "config");
  try {
    return new StaticClusterAccess(credentialsFromKubeconfigFile(fallback));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("no kubeconfig given (--kubeconfig or KUBECONFIG), not running in a cluster (KUBERNETES_SERVICE_HOST is unset), and no ~/.kube/config");
    }
    throw err;
  }
}

function inClusterCredentials(env: NodeJS.ProcessEnv, dir: string): Credentials {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT || "443";
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    ca: readFileSync(path.join(dir, "ca.crt")),
    tokenFile: path.join(dir, "token"),
  };
}

interface Named<T> {
  name?: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

/** Reads a kubeconfig's current context into credentials; exported for its tests. */
export function credentialsFromKubeconfigFile(file: string): Credentials {
  if (file.includes(path.delimiter)) {
    throw new Error(`kubeconfig ${file}: one file is supported here, not a list (KUBECONFIG may name only one file for this server)`);
  }
  const text = readFileSync(file, "utf8");
  let doc: Record<string, unknown>;
  try {
    doc = (yaml.load(text) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`kubeconfig ${file}: not YAML (${(err as Error).message.split("\n")[0]})`);
  }
  const where = `kubeconfig ${file}`;
  const contextName = doc["current-context"];
  if (typeof contextName !== "string" || !contextName) throw new Error(`${where}: current-context is not set`);
  const context = entry(doc.contexts, "contexts", contextName, "context", where);
  const clusterName = String(context.cluster ?? "");
  const userName = String(context.user ?? "");
  const cluster = entry(doc.clusters, "clusters", clusterName, "cluster", where);
  const user = userName ? entry(doc.users, "users", userName, "user", where) : {};
  const base = path.dirname(file);
  if (typeof cluster.server !== "string" || !/^https?:\/\//.test(cluster.server)) {
    throw new Error(`${where}: clusters[${clusterName}].cluster.server must be an http(s) URL`);
  }
  for (const unsupported of ["exec", "auth-provider", "username", "password"]) {
    if (user[unsupported] !== undefined) {
      throw new Error(`${where}: users[${userName}].user.${unsupported} is not supported by this server; use token, tokenFile or client-certificate(-data) with client-key(-data)`);
    }
  }
  return {
    server: cluster.server.replace(/\/$/, ""),
    ca: material(cluster, "certificate-authority", base),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    cert: material(user, "client-certificate", base),
    key: material(user, "client-key", base),
    ...(typeof user.token === "string" && user.token ? { token: user.token } : {}),
    ...(typeof user.tokenFile === "string" && user.tokenFile ? { tokenFile: path.resolve(base, user.tokenFile) } : {}),
  };
}

function entry(list: unknown, listName: string, name: string, field: "cluster" | "user" | "context", where: string): Record<string, unknown> {
  const found = Array.isArray(list) ? (list as Named<Record<string, unknown>>[]).find((item) => item?.name === name) : undefined;
  const value = found?.[field];
  if (!value || typeof value !== "object") throw new Error(`${where}: ${listName} has no entry named "${name}"`);
  return value as Record<string, unknown>;
}

// A kubeconfig names TLS material inline (<field>-data, base64) or as a file relative to itself.
function material(section: Record<string, unknown>, field: string, base: string): Buffer | undefined {
  const inline = section[`${field}-data`];
  if (typeof inline === "string" && inline) return Buffer.from(inline, "base64");
  const file = section[field];
  if (typeof file === "string" && file) return readFileSync(path.resolve(base, file));
  return undefined;
}
