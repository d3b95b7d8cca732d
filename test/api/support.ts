// Helpers shared by the API tests in this folder: clients for the shared control plane,
// namespaces with unique names, and the Status an apiserver answers a rejected write with.
import https from "node:https";
import { randomBytes } from "node:crypto";
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { inject } from "vitest";
import { waitFor } from "../controlplane/index.js";

export const GROUP = "security.nexus.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export type NexusKind = "EngineIdentity" | "AccessPolicy";
export const PLURAL: Record<NexusKind, string> = {
  EngineIdentity: "engineidentities",
  AccessPolicy: "accesspolicies",
};

/** The admin kubeconfig of the control plane that test/global-setup.ts started. */
export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject("kubeconfig"));
  return kc;
}

/** A random lowercase suffix, so names never collide with other files or earlier runs. */
export function uniqueSuffix(length = 6): string {
  return randomBytes(length).toString("hex").slice(0, length);
}

export async function createNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${uniqueSuffix()}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name, labels: { "nexus-test": prefix } } } });
  return name;
}

/** Deletes the namespaces and waits (with a deadline) until the namespace controller removed them. */
export async function deleteNamespaces(kc: KubeConfig, names: readonly string[], timeoutMs = 90_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await Promise.all(
    names.map(async (name) => {
      try {
        await core.deleteNamespace({ name });
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
      await waitFor(
        async () => {
          try {
            await core.readNamespace({ name });
            return undefined;
          } catch (err) {
            if (statusCode(err) === 404) return true;
            throw err;
          }
        },
        { timeoutMs, intervalMs: 250, description: `namespace ${name} to be deleted` },
      );
    }),
  );
}

export function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The metav1.Status of a failed request, as the apiserver sent it. */
export interface KubeStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: StatusCause[] };
}

export function statusOf(err: unknown): KubeStatus {
  if (!(err instanceof ApiException)) throw err;
  const body: unknown = err.body;
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as KubeStatus;
    } catch {
      return { code: err.code, message: body };
    }
  }
  return { code: err.code, ...(body as KubeStatus) };
}

export type Outcome = { accepted: true; object: Record<string, any> } | { accepted: false; code: number; status: KubeStatus };

/**
 * Creates a NEXUS object for real (no dry run) with strict field validation, so a typo in
 * a test object is reported as an unknown field instead of being pruned into something valid.
 */
export async function createNexusObject(
  kc: KubeConfig,
  kind: NexusKind,
  namespace: string,
  object: { metadata: { name: string; [k: string]: unknown }; spec: unknown },
): Promise<Outcome> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const body = { apiVersion: API_VERSION, kind, ...object, metadata: { ...object.metadata, namespace } };
  try {
    const created = (await api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL[kind],
      body,
      fieldValidation: "Strict",
    })) as Record<string, any>;
    return { accepted: true, object: created };
  } catch (err) {
    const code = statusCode(err);
    if (code === undefined) throw err;
    return { accepted: false, code, status: statusOf(err) };
  }
}

export async function readNexusObject(kc: KubeConfig, kind: NexusKind, namespace: string, name: string) {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL[kind],
    name,
  })) as Record<string, any>;
}

/**
 * A GET with the kubeconfig's TLS client credentials, for endpoints the generated client
 * has no method for (OpenAPI v3, Table output). Returns the status and the raw body.
 */
export async function getRaw(
  kc: KubeConfig,
  apiPath: string,
  accept = "application/json",
): Promise<{ status: number; body: string }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const options: https.RequestOptions = { method: "GET", headers: {} };
  await kc.applyToHTTPSOptions(options);
  options.headers = { ...options.headers, Accept: accept };
  return new Promise((resolve, reject) => {
    const request = https.request(new URL(apiPath, cluster.server), options, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on("error", reject);
    });
    request.setTimeout(30_000, () => request.destroy(new Error(`GET ${apiPath} timed out`)));
    request.on("error", reject);
    request.end();
  });
}
