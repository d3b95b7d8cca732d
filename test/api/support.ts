// Helpers shared by the API tests in this folder: clients for the shared control plane,
// namespaces with unique names, and the Status an apiserver answers a rejected write with.
import { randomBytes } from "node:crypto";
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { inject } from "vitest";
import { waitFor } from "../controlplane/index.js";
import { rawRequest, type RawResponse } from "../controlplane/raw-request.js";

export type { RawResponse };

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
 * A request with the kubeconfig's TLS client credentials that sends our bytes as they are,
 * for what the generated client has no method for (OpenAPI v3, Table output, server-side
 * apply with strict field validation) or would re-serialize through its typed models.
 */
export async function kubeRequest(
  kc: KubeConfig,
  method: string,
  apiPath: string,
  options: { accept?: string; contentType?: string; body?: string } = {},
): Promise<RawResponse> {
  const body = options.body === undefined ? undefined : { contentType: options.contentType ?? "application/json", data: options.body };
  return rawRequest(kc, method, apiPath, body, options.accept);
}

export function getRaw(kc: KubeConfig, apiPath: string, accept?: string): Promise<RawResponse> {
  return kubeRequest(kc, "GET", apiPath, accept === undefined ? {} : { accept });
}

export async function getJson<T>(kc: KubeConfig, apiPath: string): Promise<T> {
  const response = await getRaw(kc, apiPath);
  if (response.status !== 200) throw new Error(`GET ${apiPath}: HTTP ${response.status}: ${response.body.slice(0, 500)}`);
  return JSON.parse(response.body) as T;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
}

/** The resources a group version serves, from discovery. */
export async function discover(kc: KubeConfig, apiVersion: string): Promise<ApiResource[]> {
  const basePath = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return (await getJson<{ resources: ApiResource[] }>(kc, basePath)).resources;
}

/** The REST path of an object, its kind resolved through discovery. */
export async function objectPath(kc: KubeConfig, object: KubeObject): Promise<{ path: string; namespaced: boolean }> {
  const resource = (await discover(kc, object.apiVersion)).find((r) => r.kind === object.kind && !r.name.includes("/"));
  if (!resource) throw new Error(`${object.apiVersion} serves no kind ${object.kind}`);
  const basePath = object.apiVersion.includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = resource.namespaced ? `/namespaces/${encodeURIComponent(object.metadata.namespace ?? "default")}` : "";
  return { path: `${basePath}${namespace}/${resource.name}/${encodeURIComponent(object.metadata.name)}`, namespaced: resource.namespaced };
}

/**
 * Server-side apply with strict field validation: a field the schema does not know is an
 * error (HTTP 422) instead of being pruned without a word.
 */
export async function serverSideApplyStrict(kc: KubeConfig, object: KubeObject, fieldManager: string): Promise<RawResponse> {
  const { path } = await objectPath(kc, object);
  return kubeRequest(kc, "PATCH", `${path}?fieldManager=${encodeURIComponent(fieldManager)}&fieldValidation=Strict&force=true`, {
    contentType: "application/apply-patch+yaml",
    body: JSON.stringify(object),
  });
}
